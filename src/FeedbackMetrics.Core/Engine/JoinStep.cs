namespace FeedbackMetrics.Core.Engine;

/// <summary>What happened to one request id's join entry (<see cref="JoinChanged"/>).</summary>
public enum JoinStep : byte
{
    /// <summary>A response with no truth yet is kept pending.</summary>
    Pended = 1,

    /// <summary>A second response for a request id already held: not kept, counted.</summary>
    ResponseRefused = 2,

    /// <summary>A truth whose response has not come is parked.</summary>
    Parked = 3,

    /// <summary>A new truth replaced a parked one (counted as a correction).</summary>
    ParkedReplaced = 4,

    /// <summary>A response met its parked truth: counted, label delay zero.</summary>
    ResponseJoined = 5,

    /// <summary>A truth met its pending response: counted.</summary>
    TruthJoined = 6,

    /// <summary>A different truth for a joined request: its rows moved (a correction).</summary>
    Corrected = 7,

    /// <summary>Forgotten past <c>--join_ttl</c>.</summary>
    Expired = 8,

    /// <summary>Forgotten, oldest first, past the size cap.</summary>
    Evicted = 9,

    /// <summary>Forgotten because its model was reset (not counted as an expiry).</summary>
    Dropped = 10,
}
