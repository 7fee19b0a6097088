using System.Text.Json;
using CloudNative.CloudEvents;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>The CloudEvents of one request, with the JSON documents that back their data (disposed with it).</summary>
public sealed class IncomingEvents(IReadOnlyList<CloudEvent> events, bool isBatch, JsonDocument? owner = null) : IDisposable
{
    public IReadOnlyList<CloudEvent> Events { get; } = events;

    /// <summary>True for batch mode (<c>application/cloudevents-batch+json</c>).</summary>
    public bool IsBatch { get; } = isBatch;

    public void Dispose() => owner?.Dispose();
}
