using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Tests.Core;

/// <summary>The join driven through the engine one event at a time, decided and applied as a store does, each event an id of its own.</summary>
internal sealed class EngineJoin
{
    private readonly FeedbackEngine _engine;
    private int _events;

    public EngineJoin(JoinLimits limits, TimeProvider clock)
    {
        Models = new MetricsBook(100, 100, null, clock);
        _engine = new FeedbackEngine(new EngineState(Models, Join, new DedupeWindow(TimeSpan.FromDays(1), 1_000_000, clock)), limits, clock);
    }

    public JoinBook Join { get; } = new();

    public MetricsBook Models { get; }

    public JoinAction? Response(MetricKey key, string requestId, DecodedResponse response) =>
        Offer(new LoggedResponse(new CloudEventId("s", $"event-{++_events}", "io.seldon.serving.inference.response"), key, requestId, response, ReplyContext.None));

    public JoinAction? Truth(MetricKey key, string requestId, DecodedTruth truth, double? reward = null) =>
        Offer(new TruthOnly(new CloudEventId("s", $"event-{++_events}", "io.seldon.serving.feedback"), key, requestId, truth, reward, ReplyContext.None));

    /// <summary>The deployment's figures once the writer's housekeeping ran (expiry is the writer's, not the reader's).</summary>
    public JoinFigures Figures(JoinScope scope)
    {
        _engine.Apply(_engine.Housekeep());
        return Join.Figures(scope)!;
    }

    private JoinAction? Offer(IngestEvent e)
    {
        var decision = _engine.Decide([[e]]);
        _engine.Apply(decision.Changes);
        return decision.Requests[0].Refusal is { } refusal ? throw refusal : decision.Requests[0].Results![0].Join;
    }
}
