using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Server.Diagnostics;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>The outcome of one event and, when it was counted, the metric event it produced.</summary>
public sealed record EventResult(string Source, string Id, EventOutcome Outcome, MetricReply? Reply);
