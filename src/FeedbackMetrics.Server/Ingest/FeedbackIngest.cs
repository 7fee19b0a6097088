using System.Text.Json;
using CloudNative.CloudEvents;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Exposition;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Reply;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>
/// The path of an event after the HTTP binding: validate and decode every event of the request first
/// (a bad one refuses the whole request, nothing changed), then apply each to the store, then reply.
/// </summary>
public sealed class FeedbackIngest(
    IFeedbackStore store,
    ClassDecoder decoder,
    IdentityDefaults defaults,
    IOptions<DecodingOptions> decoding,
    ReplyFactory replies,
    ReplyQueue replyQueue,
    ServerCounters counters)
{
    private readonly HashSet<string> _feedbackTypes = new(decoding.Value.EffectiveFeedbackTypes, StringComparer.Ordinal);

    public async Task<List<EventResult>> IngestAsync(IncomingEvents incoming)
    {
        var prepared = new List<PreparedFeedback>(incoming.Events.Count);
        foreach (var cloudEvent in incoming.Events)
        {
            prepared.Add(Prepare(cloudEvent, incoming.IsBatch));
        }

        if (incoming.IsBatch)
        {
            CheckDistinctIds(prepared);
        }

        var results = new List<EventResult>(prepared.Count);
        foreach (var item in prepared)
        {
            results.Add(await ApplyAsync(item));
        }

        return results;
    }

    private PreparedFeedback Prepare(CloudEvent cloudEvent, bool inBatch)
    {
        var id = new CloudEventId(cloudEvent.Source!.OriginalString, cloudEvent.Id!);
        if (!_feedbackTypes.Contains(cloudEvent.Type!))
        {
            return new PreparedFeedback(cloudEvent, id, default, null);
        }

        try
        {
            var key = IdentityExtensions.ResolveKey(cloudEvent, defaults);
            var payload = FeedbackPayload.Read(DataOf(cloudEvent));
            return new PreparedFeedback(cloudEvent, id, key, decoder.Decode(payload));
        }
        catch (InvalidFeedbackException e) when (inBatch)
        {
            throw new InvalidFeedbackException(e.Kind, $"Event {id}: {e.Message} The whole batch was refused; nothing was counted.");
        }
    }

    private async Task<EventResult> ApplyAsync(PreparedFeedback item)
    {
        if (item.Feedback is null)
        {
            counters.CountIgnored(item.Event.Type!);
            return new EventResult(item.Id.Source, item.Id.Id, EventOutcome.Ignored, null);
        }

        // Not cancelled by a client that goes away: a commit in flight completes, and a redelivery is then a duplicate.
        var result = await store.ApplyAsync(item.Id, item.Key, item.Feedback, CancellationToken.None);
        if (result.Outcome == ApplyOutcome.Duplicate)
        {
            counters.CountEvent(EventOutcome.Duplicate);
            return new EventResult(item.Id.Source, item.Id.Id, EventOutcome.Duplicate, null);
        }

        counters.CountEvent(EventOutcome.Accepted);
        var reply = replies.Create(item.Event, item.Id, item.Feedback, result.Snapshot!, decoder.Kind == DecoderKind.BinaryMetrics);
        replyQueue.Enqueue(reply);
        return new EventResult(item.Id.Source, item.Id.Id, EventOutcome.Accepted, reply);
    }

    private static JsonElement DataOf(CloudEvent cloudEvent)
    {
        switch (cloudEvent.Data)
        {
            case JsonElement element:
                return element;
            case byte[] bytes:
                return ParseJson(bytes);
            case string text:
                return ParseJson(System.Text.Encoding.UTF8.GetBytes(text));
            case null:
                throw new InvalidFeedbackException(RejectionKind.Malformed, "The event carries no data; a feedback event needs {\"truth\": …, \"response\": …}.");
            default:
                throw new InvalidFeedbackException(RejectionKind.Malformed, "The event data is not JSON.");
        }
    }

    private static JsonElement ParseJson(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"The event data is not valid JSON: {e.Message}");
        }
    }

    private static void CheckDistinctIds(List<PreparedFeedback> prepared)
    {
        var seen = new HashSet<CloudEventId>();
        foreach (var item in prepared)
        {
            if (!seen.Add(item.Id))
            {
                throw new InvalidFeedbackException(RejectionKind.Malformed, $"Event {item.Id} appears twice in the batch.");
            }
        }
    }
}
