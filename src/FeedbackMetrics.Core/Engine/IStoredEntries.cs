namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// Join entries a log kept as bytes, each read back when the join first needs it (a truth, an expiry or an eviction
/// touching it), so a restart puts a million entries back without decoding one (<see cref="JoinBook.Restore(Join.JoinScope, string, long, IStoredEntries, int)"/>).
/// </summary>
public interface IStoredEntries
{
    /// <summary>The entry stored at <paramref name="at"/>, the position the log gave when it put the entry back.</summary>
    RequestEntry Read(int at);
}
