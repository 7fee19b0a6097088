using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// What a store does with the response and truth-only events of one request, worked out before anything is
/// written: the ledger answers each in order inside one savepoint, and the request's full feedback and the rows the
/// join counts or moves are admitted to the capacity plan together, so a refusal (a row-count mismatch, a class or
/// key limit) takes the ledger back and leaves the request changing nothing.
/// </summary>
internal static class JoinPlanner
{
    /// <summary>
    /// Admits a request's fresh events: full feedback as is, join halves through the ledger. Returns the join steps in
    /// event order; throws the refusal otherwise, the ledger taken back.
    /// </summary>
    public static List<LegacyJoinStep> Admit(JoinLedger ledger, CapacityPlan plan, IReadOnlyList<FeedbackEvent> fresh, int eventsInRequest)
    {
        var admitted = new List<FeedbackEvent>(fresh.Count);
        foreach (var e in fresh)
        {
            if (e.Join is null)
            {
                admitted.Add(e);
            }
        }

        if (admitted.Count == fresh.Count)
        {
            plan.Admit(admitted);
            return [];
        }

        var steps = new List<LegacyJoinStep>();
        var savepoint = ledger.Begin();
        try
        {
            foreach (var e in fresh)
            {
                if (e.Join is { } part)
                {
                    var step = Offer(ledger, e, part, eventsInRequest);
                    steps.Add(step);
                    if (step.Admitted is { } counted)
                    {
                        admitted.Add(counted);
                    }
                }
            }

            plan.Admit(admitted);
        }
        catch
        {
            ledger.End(savepoint);
            ledger.Rollback(savepoint);
            throw;
        }

        ledger.End(savepoint);
        return steps;
    }

    private static LegacyJoinStep Offer(JoinLedger ledger, FeedbackEvent e, JoinPart part, int eventsInRequest)
    {
        var scope = JoinScope.Of(e.Key);
        try
        {
            var result = part switch
            {
                ResponsePart response => ledger.OfferResponse(e.Key, part.RequestId, response.Response),
                TruthPart truth => ledger.OfferTruth(scope, part.RequestId, truth.Truth, truth.Reward),
                _ => throw new ArgumentException($"Unknown join half {part.GetType().Name}.", nameof(e)),
            };
            return new LegacyJoinStep(e, part, scope, result);
        }
        catch (InvalidFeedbackException x) when (eventsInRequest > 1)
        {
            throw new InvalidFeedbackException(x.Kind, $"Event {e.Id}: {x.Message} The whole batch was refused; nothing was counted.");
        }
    }
}

/// <summary>
/// The ledger's answer to one response or truth-only event, and what a store does with it: for a join, count
/// <see cref="Admitted"/> (the rows under the response's key, an event counted like any feedback, its metric event
/// built by the join half); for a correction, move the rows, whose new classes <see cref="Admitted"/> holds for the
/// capacity plan.
/// </summary>
internal sealed record LegacyJoinStep(FeedbackEvent Event, JoinPart Part, JoinScope Scope, JoinResult Result)
{
    public FeedbackEvent? Admitted { get; } = Result.Action switch
    {
        JoinAction.Joined => new FeedbackEvent(Event.Id, Result.Key!.Value, Result.Counted!, snapshot => Part.Reply(Result.Key!.Value, Result.Counted!, snapshot)) { Context = Event.Context },

        // A move registers only the classes its rows name, as KeyAggregate.Relabel does, not a wider one-hot width.
        // Its metric event reports the rows whose truth changed: those are what the counters count again.
        JoinAction.Corrected => new FeedbackEvent(Event.Id, Result.Key!.Value, Result.Counted! with { ClassWidth = 0 }, snapshot => Part.Reply(Result.Key!.Value, RelabelledRows(Result), snapshot)) { Context = Event.Context },
        _ => null,
    };

    /// <summary>The rows of a correction whose truth changed (row i of the new truth against row i of the one it replaced).</summary>
    private static DecodedFeedback RelabelledRows(JoinResult result)
    {
        var counted = result.Counted!;
        var replaced = result.Replaced!;
        var rows = counted.Rows.Where((row, i) => row.Truth != replaced.Rows[i].Truth).ToArray();
        return counted with { Rows = rows, Scores = null };
    }

    /// <summary>True when the request answers with the metric event: a truth that joined; a response that met its parked truth sends it to the reply URL only.</summary>
    public bool RepliesToSender => Part is TruthPart && Result.Action is JoinAction.Joined or JoinAction.Corrected;
}
