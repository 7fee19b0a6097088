using System.Text.Json;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>The CloudEvents of one request, with the JSON documents that back their data (disposed with it).</summary>
public sealed class IncomingEvents(IReadOnlyList<IncomingEvent> events, bool isBatch, params IReadOnlyList<JsonDocument> owners) : IDisposable
{
    public IReadOnlyList<IncomingEvent> Events { get; } = events;

    /// <summary>True for batch mode (<c>application/cloudevents-batch+json</c>).</summary>
    public bool IsBatch { get; } = isBatch;

    public void Dispose()
    {
        foreach (var owner in owners)
        {
            owner.Dispose();
        }
    }
}
