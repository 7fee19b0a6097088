namespace FeedbackMetrics.Core.Join;

/// <summary>
/// The committed join entries of a durable store, read back on demand so the ledger need not hold them in memory: a
/// point lookup by request id, and a scan in the order of their last change (their sequence number). The ledger calls
/// it under its lock only; it sees what the store's last commit left (changes not yet committed the ledger holds
/// itself).
/// </summary>
public interface IJoinEntryStore
{
    /// <summary>The committed entry of a request, or null.</summary>
    JoinRecord? Find(JoinScope scope, string requestId);

    /// <summary>Up to <paramref name="limit"/> committed entries whose sequence number is above <paramref name="afterSequence"/>, lowest first.</summary>
    IReadOnlyList<JoinRecord> After(long afterSequence, int limit);

    /// <summary>Every committed entry of one deployment (a reset forgets those of one model).</summary>
    IReadOnlyList<JoinRecord> InScope(JoinScope scope);

    /// <summary>How many entries are committed.</summary>
    long Count();

    /// <summary>The highest sequence number committed (0 when none): new changes number on after it.</summary>
    long MaxSequence();
}
