namespace FeedbackMetrics.Core.Join;

/// <summary>What the join did with one response or truth.</summary>
public enum JoinAction
{
    /// <summary>A response with no truth yet: kept until its truth comes or it expires.</summary>
    ResponsePending,

    /// <summary>A response for a request id that already has one in this deployment: the first is kept, this one is not.</summary>
    ResponseAlreadyHeld,

    /// <summary>A truth whose response has not arrived: parked until it does or the truth expires.</summary>
    TruthParked,

    /// <summary>A truth for a request id whose truth was still parked: the new truth replaces the parked one (a correction).</summary>
    ParkedTruthReplaced,

    /// <summary>A response and a truth met: <see cref="JoinResult.Counted"/> is to be counted under <see cref="JoinResult.Key"/>.</summary>
    Joined,

    /// <summary>A different truth for a request id already joined: the rows move from <see cref="JoinResult.Replaced"/> to <see cref="JoinResult.Counted"/>.</summary>
    Corrected,

    /// <summary>The same truth again for a request id already joined: nothing changes.</summary>
    TruthUnchanged,
}
