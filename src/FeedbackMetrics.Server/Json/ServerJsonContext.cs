using System.Text.Json.Serialization;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Json;

/// <summary>The answer to a batch-mode request: one result per event, in order.</summary>
public sealed record BatchResponse(IReadOnlyList<BatchItem> Results);

/// <summary>One event of a batch: its source, id and outcome (accepted, duplicate or ignored).</summary>
public sealed record BatchItem(string Source, string Id, string Outcome);

/// <summary>Source-generated serializers for every JSON body the server writes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(DeploymentFigures))]
[JsonSerializable(typeof(DeploymentJoinMembers))]
[JsonSerializable(typeof(IReadOnlyList<AlertBody>))]
[JsonSerializable(typeof(IReadOnlyList<DeploymentJoin>))]
[JsonSerializable(typeof(BatchResponse))]
[JsonSerializable(typeof(ResetResult))]
[JsonSerializable(typeof(AlertBody))]
public sealed partial class ServerJsonContext : JsonSerializerContext;
