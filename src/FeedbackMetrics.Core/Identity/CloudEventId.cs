namespace FeedbackMetrics.Core.Identity;

/// <summary>What makes a CloudEvent unique: its source and id (CloudEvents 1.0, "Event uniqueness").</summary>
public readonly record struct CloudEventId(string Source, string Id)
{
    public override string ToString() => $"{Source}#{Id}";
}
