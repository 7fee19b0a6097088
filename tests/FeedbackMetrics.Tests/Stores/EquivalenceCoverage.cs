using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>What a run of the equivalence test went through, so a stream that stopped reaching a rule shows (and fails) rather than passing vacuously.</summary>
internal sealed class EquivalenceCoverage
{
    private readonly Dictionary<string, int> _seen = [];

    /// <summary>Steps whose requests were sent together.</summary>
    public int Grouped { get; set; }

    public void Add(Expected expected)
    {
        if (expected.Refusal is { } kind)
        {
            Note($"refused {kind}");
            return;
        }

        foreach (var result in expected.Results!)
        {
            Note(result.Outcome == ApplyOutcome.Duplicate ? "duplicate" : result.Join?.ToString() ?? "counted feedback");
        }
    }

    public void Restarted(Restart restart) => Note($"restart {restart}");

    public void Reset(int existed) => Note(existed > 0 ? "reset" : "reset of no model");

    /// <summary>Prints what the run covered and fails when it missed a rule it is there to check.</summary>
    public void Report(EquivalenceOracle oracle, string run, bool restarts, long? groupedDecisions)
    {
        var totals = oracle.Scopes.Values.Aggregate(new JoinTotals(), (sum, s) => new(
            sum.ResponsesSeen + s.ResponsesSeen, sum.Joined + s.Joined, sum.Corrections + s.Corrections, sum.DuplicateResponses + s.DuplicateResponses,
            sum.ExpiredResponses + s.ExpiredResponses, sum.ExpiredTruths + s.ExpiredTruths, sum.EvictedResponses + s.EvictedResponses,
            sum.EvictedTruths + s.EvictedTruths, sum.ForgottenJoins + s.ForgottenJoins));
        var relabelled = oracle.Models.Values.Sum(m => m.Relabelled.Values.Sum());
        TestContext.Progress.WriteLine(
            $"{run}: {string.Join(", ", _seen.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}; " +
            $"steps sending requests together {Grouped}, requests decided in a group after another {groupedDecisions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "n/a"}; keys {oracle.Models.Count}; rows {oracle.Models.Values.Sum(m => m.Rows.Count)}, relabelled {relabelled}; join {totals}");
        string[] rules =
        [
            "counted feedback", "duplicate", "reset", $"refused {RejectionKind.Malformed}", $"refused {RejectionKind.LimitExceeded}",
            .. Enum.GetValues<JoinAction>().Select(a => a.ToString()),
            .. restarts ? new[] { $"restart {Restart.Graceful}", $"restart {Restart.Crash}" } : [],
        ];
        Assert.Multiple(() =>
        {
            foreach (var rule in rules)
            {
                Assert.That(_seen.GetValueOrDefault(rule), Is.Positive, $"{run}: the stream never reached {rule}");
            }

            Assert.That(new[] { totals.ExpiredResponses, totals.ExpiredTruths, totals.EvictedResponses, totals.EvictedTruths, totals.ForgottenJoins }, Has.None.Zero, $"{run}: expiry and eviction of each kind: {totals}");
            Assert.That(relabelled, Is.Positive, $"{run}: rows relabelled");
            if (groupedDecisions is { } grouped)
            {
                Assert.That(grouped, Is.Positive, $"{run}: requests decided together in one group");
            }
        });
    }

    private void Note(string what) => _seen[what] = _seen.GetValueOrDefault(what) + 1;
}
