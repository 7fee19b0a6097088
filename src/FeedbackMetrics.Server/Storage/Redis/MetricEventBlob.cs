using System.Text.Json;
using System.Text.Json.Serialization;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>How a metric event is kept in the outbox table: its JSON (attributes, extensions, base64 body).</summary>
internal static class MetricEventBlob
{
    public static byte[] Write(MetricEvent metricEvent) => JsonSerializer.SerializeToUtf8Bytes(metricEvent, MetricEventJson.Default.MetricEvent);

    public static MetricEvent Read(byte[] blob) =>
        JsonSerializer.Deserialize(blob, MetricEventJson.Default.MetricEvent) ?? throw new JsonException("An outbox row holds no metric event.");
}

/// <summary>Source-generated serializer for <see cref="MetricEvent"/>.</summary>
[JsonSerializable(typeof(MetricEvent))]
internal sealed partial class MetricEventJson : JsonSerializerContext;
