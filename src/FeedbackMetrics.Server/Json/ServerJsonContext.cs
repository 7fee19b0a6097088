using System.Text.Json.Serialization;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Json;

/// <summary>The JSON view of <c>GET /v1/metrics</c>: one entry per key.</summary>
/// <remarks>
/// <c>alerts</c> lists the alerts firing now (absent when no rules file is configured); <c>joins</c> the late-truth join
/// of every deployment it has seen (absent when none), models with counted rows or not.
/// </remarks>
public sealed record MetricsDocument(IReadOnlyList<DeploymentFigures> Deployments, IReadOnlyList<AlertBody>? Alerts = null, IReadOnlyList<DeploymentJoin>? Joins = null);

/// <summary>The answer to a batch-mode request: one result per event, in order.</summary>
public sealed record BatchResponse(IReadOnlyList<BatchItem> Results);

/// <summary>One event of a batch: its source, id and outcome (accepted, duplicate or ignored).</summary>
public sealed record BatchItem(string Source, string Id, string Outcome);

/// <summary>Source-generated serializers for every JSON body the server writes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(MetricsDocument))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(ResetResult))]
[JsonSerializable(typeof(AlertBody))]
public sealed partial class ServerJsonContext : JsonSerializerContext;
