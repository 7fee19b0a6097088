using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The half of an event the join takes: a logged response or a truth-only feedback, its request id, and how to build
/// the metric event of the rows a join counts (from the key they count under, the rows, and the key's figures right
/// after them).
/// </summary>
internal abstract record JoinPart(string RequestId, Func<MetricKey, DecodedFeedback, KeySnapshot, MetricReply> Reply)
{
    /// <summary>An empty feedback, what a <see cref="FeedbackEvent"/> carrying a join half holds as its own rows.</summary>
    public static readonly DecodedFeedback NoRows = new([], 0);
}

/// <summary>A logged response (types in <c>--response_types</c>), counted under its own key once its truth comes.</summary>
internal sealed record ResponsePart(string RequestId, DecodedResponse Response, Func<MetricKey, DecodedFeedback, KeySnapshot, MetricReply> Reply)
    : JoinPart(RequestId, Reply);

/// <summary>A truth-only feedback, joined within its namespace and deployment to the response with its request id.</summary>
internal sealed record TruthPart(string RequestId, DecodedTruth Truth, double? Reward, Func<MetricKey, DecodedFeedback, KeySnapshot, MetricReply> Reply)
    : JoinPart(RequestId, Reply);
