using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Join;

/// <summary>What the join holds for one request id: its response, its truth, or both once joined.</summary>
internal sealed class JoinEntry
{
    public MetricKey Key { get; set; }

    public DecodedResponse? Response { get; set; }

    public DateTimeOffset ResponseArrived { get; set; }

    public DecodedTruth? Truth { get; set; }

    public double? Reward { get; set; }

    public DateTimeOffset TruthArrived { get; set; }

    /// <summary>Where the joined rows were counted, as the stored entry says; carried along unchanged.</summary>
    public CountedRow[]? Counted { get; set; }

    /// <summary>When the request was first counted.</summary>
    public DateTimeOffset CountedAt { get; set; }

    /// <summary>When the entry last changed; it is forgotten a TTL later.</summary>
    public DateTimeOffset LastChange { get; set; }

    /// <summary>The sequence number of this entry's latest place in the expiry queue; older places are stale.</summary>
    public long Stamp { get; set; }

    public bool IsJoined => Response is not null && Truth is not null;

    /// <summary>The entry as a store keeps it.</summary>
    public static JoinEntry Of(JoinRecord record) => new()
    {
        Key = record.Key ?? default,
        Response = record.Response,
        ResponseArrived = record.ResponseArrived,
        Truth = record.Truth,
        Reward = record.Reward,
        TruthArrived = record.TruthArrived,
        CountedAt = record.CountedAt,
        Counted = record.Counted is null ? null : [.. record.Counted],
        LastChange = record.LastChange,
        Stamp = record.Sequence,
    };

    /// <summary>A copy to put back should the change about to be made be taken back (the decoded halves are never changed in place).</summary>
    public JoinEntry Copy() => (JoinEntry)MemberwiseClone();
}
