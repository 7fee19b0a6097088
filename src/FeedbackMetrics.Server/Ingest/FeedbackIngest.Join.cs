using System.Text.Json;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Diagnostics;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>
/// The two halves the late-truth join takes: a logged response (types in <c>--response_types</c>) and a truth-only
/// feedback (<c>truth</c>, no <c>response</c>), each with its request id (<see cref="RequestIds"/>).
/// </summary>
public sealed partial class FeedbackIngest
{
    /// <summary>The KServe agent's extension of allow-listed request headers, as JSON.</summary>
    private const string Metadata = "metadata";

    /// <summary>Deployments warned of at most: their names come from senders.</summary>
    private const int MaxWarnedScopes = 10_000;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<JoinScope, byte> _warnedScopes = new();

    private static bool IsTruthOnly(JsonElement body) =>
        body.ValueKind == JsonValueKind.Object
        && body.TryGetProperty("truth", out var truth) && truth.ValueKind != JsonValueKind.Null
        && !FeedbackPayload.HasResponse(body);

    /// <summary>
    /// A logged response, kept for the join, whatever media type it is labelled with as long as its body is JSON (the
    /// KServe agent passes on the request's, a form type after <c>curl -d</c>). One this server cannot use is
    /// acknowledged and not kept (counted as ignored; logged as a warning the first time for a deployment, then at
    /// debug, so a deployment whose every response is dropped shows in the log once): response logs come from every model, and a
    /// refusal would only fill the broker's dead-letter sink — data that is not JSON, a body no decoder reads (a
    /// regression model), an over-long request id.
    /// A malformed identity is refused as for any event.
    /// </summary>
    private PreparedFeedback PrepareResponse(IncomingEvent cloudEvent)
    {
        var key = IdentityExtensions.ResolveKey(cloudEvent, defaults, cloudEvent.Data is { } data ? MessageReader.ModelName(data) : null);
        if (cloudEvent.Data is not { } body)
        {
            NotKept(cloudEvent, key, cloudEvent.DataNotJson ?? "it carries no data");
            return new PreparedFeedback(cloudEvent, null);
        }

        try
        {
            var decoder = decoders.For(key);
            var response = decoder.DecodeResponse(MessageReader.Read(body, "response"));
            var requestId = RequestIds.OfResponse(cloudEvent.Attribute(IdentityExtensions.RequestId), cloudEvent.Attribute(Metadata), cloudEvent.Id);
            return new PreparedFeedback(cloudEvent, new LoggedResponse(IdOf(cloudEvent), key, requestId, response, ReplyContextOf(cloudEvent, decoder))
            {
                Segments = segments.Read(cloudEvent, body),
            });
        }
        catch (InvalidFeedbackException e)
        {
            NotKept(cloudEvent, key, e.Message);
            return new PreparedFeedback(cloudEvent, null);
        }
    }

    /// <summary>Logs a response not kept: a warning for the first of its deployment (while fewer than <see cref="MaxWarnedScopes"/> were warned of), else at debug.</summary>
    private void NotKept(IncomingEvent cloudEvent, MetricKey key, string reason)
    {
        var scope = JoinScope.Of(key);
        if (_warnedScopes.Count < MaxWarnedScopes && _warnedScopes.TryAdd(scope, 0))
        {
            Log.ResponseNotKeptFirst(logger, scope.Namespace, scope.Deployment, cloudEvent.ToString(), reason);
        }
        else
        {
            Log.ResponseNotKept(logger, cloudEvent.ToString(), reason);
        }
    }

    /// <summary>A truth-only feedback: refused (400) without a request id or with a truth that does not decode, as any feedback.</summary>
    private PreparedFeedback PrepareTruth(IncomingEvent cloudEvent, MetricKey key, ClassDecoder decoder, JsonElement body)
    {
        var requestId = RequestIds.OfTruth(cloudEvent.Attribute(IdentityExtensions.RequestId), body);
        var payload = TruthPayload.Read(body);
        var truth = decoder.DecodeTruth(payload.Truth);
        return new PreparedFeedback(cloudEvent, new TruthOnly(IdOf(cloudEvent), key, requestId, truth, payload.Reward, ReplyContextOf(cloudEvent, decoder))
        {
            Segments = segments.Read(cloudEvent, Member(body, "truth")),
        });
    }
}
