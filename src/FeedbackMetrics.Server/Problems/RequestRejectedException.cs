namespace FeedbackMetrics.Server.Problems;

/// <summary>An HTTP-level refusal (not a CloudEvent, wrong media type, body too large), mapped to problem details in one place.</summary>
public sealed class RequestRejectedException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}
