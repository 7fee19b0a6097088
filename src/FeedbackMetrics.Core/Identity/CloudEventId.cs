namespace FeedbackMetrics.Core.Identity;

/// <summary>
/// What makes an incoming event unique for deduplication: its source and id (CloudEvents 1.0, "Event uniqueness")
/// and its type, since the KServe agent gives a request and its response one id.
/// </summary>
public readonly record struct CloudEventId(string Source, string Id, string Type)
{
    public override string ToString() => $"{Source}#{Id} ({Type})";
}
