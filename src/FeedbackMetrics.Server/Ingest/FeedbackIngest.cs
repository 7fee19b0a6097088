using System.Text.Json;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Problems;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>
/// The path of a request after the HTTP binding: validate and decode every event first (a bad one refuses the
/// whole request, nothing changed), apply them to the store in one call (all or nothing), then reply.
/// </summary>
public sealed partial class FeedbackIngest(
    IFeedbackStore store,
    DecoderSelector decoders,
    IdentityDefaults defaults,
    IOptions<DecodingOptions> decoding,
    IOptions<JoinOptions> join,
    SegmentReader segments,
    ServerCounters counters,
    ILogger<FeedbackIngest> logger)
{
    private readonly HashSet<string> _feedbackTypes = new(decoding.Value.EffectiveFeedbackTypes, StringComparer.Ordinal);
    private readonly HashSet<string> _responseTypes = new(join.Value.EffectiveResponseTypes, StringComparer.Ordinal);
    private readonly UnhandledTypes _unhandled = new(decoding.Value.EffectiveFeedbackTypes, join.Value.EffectiveResponseTypes, logger);

    public async Task<List<EventResult>> IngestAsync(IncomingEvents incoming)
    {
        var prepared = new List<PreparedFeedback>(incoming.Events.Count);
        var feedback = new List<IngestEvent>(incoming.Events.Count);
        foreach (var cloudEvent in incoming.Events)
        {
            // An event repeated within one batch is counted once: the store answers "duplicate" for the repeat.
            var item = Prepare(cloudEvent, incoming.IsBatch);
            prepared.Add(item);
            if (item.Feedback is { } f)
            {
                feedback.Add(f);
            }
        }

        // Not cancelled by a client that goes away: a commit in flight completes, and a redelivery is then a duplicate.
        var applied = feedback.Count == 0 ? [] : await store.ApplyAsync(feedback, CancellationToken.None);
        var results = new List<EventResult>(prepared.Count);
        var next = 0;
        foreach (var item in prepared)
        {
            results.Add(item.Feedback is null ? Ignored(item.Event) : Counted(item, applied[next++]));
        }

        return results;
    }

    private static CloudEventId IdOf(IncomingEvent e) => new(e.Source, e.Id, e.Type);

    /// <summary>What an event's metric event echoes of it (identity, request id, protocol, trace context), and whether its model is binary.</summary>
    private static ReplyContext ReplyContextOf(IncomingEvent e, ClassDecoder decoder)
    {
        var extensions = new List<KeyValuePair<string, string>>(IdentityExtensions.Echoed.Length);
        foreach (var name in IdentityExtensions.Echoed)
        {
            if (e.Attribute(name) is { } value)
            {
                extensions.Add(new(name, value));
            }
        }

        return new ReplyContext(extensions, decoder.IsBinary);
    }

    private PreparedFeedback Prepare(IncomingEvent cloudEvent, bool inBatch)
    {
        var isResponse = !_feedbackTypes.Contains(cloudEvent.Type) && _responseTypes.Contains(cloudEvent.Type);
        if (!isResponse && !_feedbackTypes.Contains(cloudEvent.Type))
        {
            return new PreparedFeedback(cloudEvent, null);
        }

        if (!isResponse && cloudEvent.DataNotJson is { } reason)
        {
            throw new RequestRejectedException(415, "Unsupported media type", inBatch ? $"Event {cloudEvent}: {reason} The whole batch was refused; nothing was counted." : reason);
        }

        try
        {
            if (isResponse)
            {
                return PrepareResponse(cloudEvent);
            }

            var key = IdentityExtensions.ResolveKey(cloudEvent, defaults, ResponseModelName(cloudEvent.Data));
            var decoder = decoders.For(key);
            var body = cloudEvent.Data ?? throw new InvalidFeedbackException(
                RejectionKind.Malformed, "The event carries no data; a feedback event needs {\"truth\": …, \"response\": …}.");
            if (IsTruthOnly(body))
            {
                return PrepareTruth(cloudEvent, key, decoder, body);
            }

            var payload = FeedbackPayload.Read(body);
            return new PreparedFeedback(cloudEvent, new CountedFeedback(IdOf(cloudEvent), key, decoder.Decode(payload), ReplyContextOf(cloudEvent, decoder))
            {
                Segments = segments.Read(cloudEvent, Member(body, "response"), Member(body, "truth")),
            });
        }
        catch (InvalidOperationException e) when (e.TargetSite?.DeclaringType?.FullName == "System.Text.Json.ThrowHelper")
        {
            throw CloudEventReader.UnpairedSurrogate(e);
        }
        catch (InvalidFeedbackException e) when (inBatch)
        {
            throw new InvalidFeedbackException(e.Kind, $"Event {cloudEvent}: {e.Message} The whole batch was refused; nothing was counted.");
        }
    }

    private static JsonElement? Member(JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var member) ? member : null;

    /// <summary>The <c>model_name</c> of the Open Inference Protocol response a feedback carries, if any.</summary>
    private static string? ResponseModelName(JsonElement? body) =>
        body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("response", out var response) ? MessageReader.ModelName(response) : null;

    private EventResult Ignored(IncomingEvent cloudEvent)
    {
        counters.CountIgnored(cloudEvent.Type);
        if (!_feedbackTypes.Contains(cloudEvent.Type) && !_responseTypes.Contains(cloudEvent.Type))
        {
            _unhandled.Report(cloudEvent); // a response not kept for the join is a handled type: PrepareResponse said why
        }
        return new EventResult(cloudEvent.Source, cloudEvent.Id, EventOutcome.Ignored, null);
    }

    private EventResult Counted(PreparedFeedback item, ApplyResult result)
    {
        var cloudEvent = item.Event;
        if (result.Outcome == ApplyOutcome.Duplicate)
        {
            counters.CountEvent(EventOutcome.Duplicate);
            return new EventResult(cloudEvent.Source, cloudEvent.Id, EventOutcome.Duplicate, null);
        }

        counters.CountEvent(EventOutcome.Accepted);
        return new EventResult(cloudEvent.Source, cloudEvent.Id, EventOutcome.Accepted, result.Reply);
    }
}
