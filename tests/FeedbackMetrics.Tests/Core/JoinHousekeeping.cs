using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Tests.Core;

/// <summary>What the ledger's owner does before reading figures in these tests: its housekeeping (the TTL and the cap).</summary>
internal static class JoinHousekeeping
{
    public static JoinLedger Expired(JoinLedger ledger)
    {
        ledger.Expire();
        return ledger;
    }
}
