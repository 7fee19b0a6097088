namespace FeedbackMetrics.Server.Diagnostics;

/// <summary>Told of every event counted, while the request that brought it is being handled (e.g. to count events by verified sender).</summary>
public interface IAcceptedEventObserver
{
    void Accepted();
}
