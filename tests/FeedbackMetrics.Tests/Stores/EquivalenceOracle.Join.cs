using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The join, by the README's rules: one entry per (namespace, deployment, request id) — a pending response, a parked
/// truth or a joined request —, forgotten <c>--join_ttl</c> after its last change or, oldest change first, past the cap
/// (checked after each request); a truth counts under its response's key, row i to row i (any other row count refuses
/// the request); a different truth for a joined request moves its rows (a correction), the same one changes nothing.
/// </summary>
internal sealed partial class EquivalenceOracle
{
    private ExpectedResult Response(OracleState s, LoggedResponse r, DateTimeOffset now)
    {
        var id = (JoinScope.Of(r.Key), r.RequestId);
        var entry = Live(s, id, now);
        if (entry is null)
        {
            Write(s, id, new OracleEntry(r.Key, r.Response, null, null, null, now, 0) { ResponseSegments = r.Segments });
            Scope(s, id.Item1).Pending++;
            Scope(s, id.Item1).ResponsesSeen++;
            return new ExpectedResult(ApplyOutcome.Applied, JoinAction.ResponsePending, null, null);
        }

        if (entry.Response is not null)
        {
            Scope(s, id.Item1).DuplicateResponses++;
            return new ExpectedResult(ApplyOutcome.Applied, JoinAction.ResponseAlreadyHeld, null, null);
        }

        // The truth came first: counted now under the response's key; its metric event goes to the reply URL only.
        var seqs = Count(s, r.Key, Rows(entry.Truth!, r.Response, now), Math.Max(entry.Truth!.ClassWidth, r.Response.ClassWidth), entry.Reward, SegmentValue.Merge(r.Segments, entry.TruthSegments));
        Write(s, id, entry with { Key = r.Key, Response = r.Response, Counted = seqs, ResponseSegments = r.Segments });
        var scope = Scope(s, id.Item1);
        (scope.ResponsesSeen, scope.Parked, scope.JoinedHeld, scope.Joined) = (scope.ResponsesSeen + 1, scope.Parked - 1, scope.JoinedHeld + 1, scope.Joined + 1);
        return Posted(s, new ExpectedResult(ApplyOutcome.Applied, JoinAction.Joined, s.Models[r.Key].Rows.Count, null));
    }

    private ExpectedResult Truth(OracleState s, TruthOnly t, DateTimeOffset now)
    {
        var id = (JoinScope.Of(t.Key), t.RequestId);
        var entry = Live(s, id, now);
        if (entry is null)
        {
            Write(s, id, new OracleEntry(t.Key, null, t.Truth, t.Reward, null, now, 0) { TruthSegments = t.Segments });
            Scope(s, id.Item1).Parked++;
            return new ExpectedResult(ApplyOutcome.Applied, JoinAction.TruthParked, null, null);
        }

        if (entry.Response is null)
        {
            Write(s, id, entry with { Truth = t.Truth, Reward = t.Reward, TruthSegments = t.Segments });
            Scope(s, id.Item1).Corrections++;
            return new ExpectedResult(ApplyOutcome.Applied, JoinAction.ParkedTruthReplaced, null, null);
        }

        var rows = Rows(t.Truth, entry.Response, now);
        if (entry.Truth is null)
        {
            var seqs = Count(s, entry.Key, rows, Math.Max(t.Truth.ClassWidth, entry.Response.ClassWidth), t.Reward, SegmentValue.Merge(entry.ResponseSegments, t.Segments));
            Write(s, id, entry with { Truth = t.Truth, Reward = t.Reward, Counted = seqs });
            var scope = Scope(s, id.Item1);
            (scope.Pending, scope.JoinedHeld, scope.Joined) = (scope.Pending - 1, scope.JoinedHeld + 1, scope.Joined + 1);
            return Posted(s, new ExpectedResult(ApplyOutcome.Applied, JoinAction.Joined, s.Models[entry.Key].Rows.Count, rows.Length));
        }

        if (entry.Truth.Rows.SequenceEqual(t.Truth.Rows))
        {
            return new ExpectedResult(ApplyOutcome.Applied, JoinAction.TruthUnchanged, null, null);
        }

        var changed = Move(s, entry.Key, entry.Counted!, t.Truth.Rows);
        Write(s, id, entry with { Truth = t.Truth, Reward = t.Reward });
        Scope(s, id.Item1).Corrections++;
        return Posted(s, new ExpectedResult(ApplyOutcome.Applied, JoinAction.Corrected, s.Models[entry.Key].Rows.Count, changed));
    }

    /// <summary>
    /// Forgets every figure of the keys, and the join entries whose responses count under them (not as expired: their
    /// rows must not be moved, nor responses of the old model joined); says how many of the keys had figures.
    /// </summary>
    public int Reset(IReadOnlyList<MetricKey> keys)
    {
        var existed = 0;
        foreach (var key in keys.Distinct())
        {
            foreach (var (id, entry) in _state.Entries.Where(e => e.Value.Response is not null && e.Value.Key == key).ToList())
            {
                _state.Entries.Remove(id);
                var scope = Scope(_state, id.Scope);
                _ = entry.Truth is null ? scope.Pending-- : scope.JoinedHeld--;
            }

            existed += _state.Models.Remove(key) ? 1 : 0;
        }

        return existed;
    }

    /// <summary>A truth and a response paired row by row; refused (malformed) when their row counts differ.</summary>
    private static OracleRow[] Rows(DecodedTruth truth, DecodedResponse response, DateTimeOffset now) =>
        truth.Rows.Length != response.Rows.Length
            ? throw new OracleRefusal(RejectionKind.Malformed)
            : [.. truth.Rows.Select((t, i) => new OracleRow(0, now, t, response.Rows[i], DistributionOf(response.Scores, i)))];

    /// <summary>The entry held for a request id, one past its TTL forgotten (and counted) first.</summary>
    private OracleEntry? Live(OracleState s, (JoinScope, string) id, DateTimeOffset now)
    {
        if (!s.Entries.TryGetValue(id, out var entry))
        {
            return null;
        }

        if (entry.LastChange + Limits.JoinTtl > now)
        {
            return entry;
        }

        Forget(s, id, expired: true);
        return null;
    }

    /// <summary>Every entry whose last change is a TTL ago or more is forgotten, counted as expired.</summary>
    private void ExpireDue(OracleState s, DateTimeOffset now)
    {
        foreach (var (id, _) in s.Entries.Where(e => e.Value.LastChange + Limits.JoinTtl <= now).OrderBy(e => e.Value.Stamp).ToList())
        {
            Forget(s, id, expired: true);
        }
    }

    /// <summary>While more entries than the cap are held (all deployments together), the one changed longest ago is forgotten.</summary>
    private void EvictOverCap(OracleState s)
    {
        while (s.Entries.Count > Limits.JoinCap)
        {
            Forget(s, s.Entries.MinBy(e => e.Value.Stamp).Key, expired: false);
        }
    }

    private static void Forget(OracleState s, (JoinScope Scope, string RequestId) id, bool expired)
    {
        var entry = s.Entries[id];
        s.Entries.Remove(id);
        var scope = Scope(s, id.Scope);
        if (entry.Response is not null && entry.Truth is not null)
        {
            scope.JoinedHeld--;
            scope.ForgottenJoins++;
        }
        else if (entry.Response is not null)
        {
            scope.Pending--;
            _ = expired ? scope.ExpiredResponses++ : scope.EvictedResponses++;
        }
        else
        {
            scope.Parked--;
            _ = expired ? scope.ExpiredTruths++ : scope.EvictedTruths++;
        }
    }

    /// <summary>Writes an entry as changed now: its last change and its place in the order of changes.</summary>
    private static void Write(OracleState s, (JoinScope, string) id, OracleEntry entry) =>
        s.Entries[id] = entry with { LastChange = s.Now, Stamp = ++s.Stamp };

    private static OracleScope Scope(OracleState s, JoinScope scope)
    {
        if (!s.Scopes.TryGetValue(scope, out var counts) || !s.CopiedScopes.Contains(scope))
        {
            counts = counts?.Copy() ?? new OracleScope();
            s.Scopes[scope] = counts;
            s.CopiedScopes.Add(scope);
        }

        return counts;
    }
}

/// <summary>One request id's entry: the response's (or until then the truth's) key, each half as it came, the sequences of its counted rows, its last change and the order of that change.</summary>
internal sealed record OracleEntry(MetricKey Key, DecodedResponse? Response, DecodedTruth? Truth, double? Reward, long[]? Counted, DateTimeOffset LastChange, long Stamp)
{
    /// <summary>The segment values the response carried (a truth's count only for the names the response lacks).</summary>
    public IReadOnlyList<SegmentValue> ResponseSegments { get; init; } = [];

    public IReadOnlyList<SegmentValue> TruthSegments { get; init; } = [];
}

/// <summary>A deployment's join figures as the oracle counts them.</summary>
internal sealed class OracleScope
{
    public long Pending { get; set; }

    public long Parked { get; set; }

    public long JoinedHeld { get; set; }

    public long ResponsesSeen { get; set; }

    public long Joined { get; set; }

    public long Corrections { get; set; }

    public long DuplicateResponses { get; set; }

    public long ExpiredResponses { get; set; }

    public long ExpiredTruths { get; set; }

    public long EvictedResponses { get; set; }

    public long EvictedTruths { get; set; }

    public long ForgottenJoins { get; set; }

    public JoinTotals Totals => new(ResponsesSeen, Joined, Corrections, DuplicateResponses, ExpiredResponses, ExpiredTruths, EvictedResponses, EvictedTruths, ForgottenJoins);

    public OracleScope Copy() => (OracleScope)MemberwiseClone();
}

/// <summary>Everything the oracle holds; <see cref="Copy"/> is what a request is planned on.</summary>
internal sealed class OracleState
{
    public Dictionary<CloudEventId, DateTimeOffset> Ids { get; private init; } = [];

    public Dictionary<MetricKey, OracleModel> Models { get; private init; } = [];

    public Dictionary<(JoinScope Scope, string RequestId), OracleEntry> Entries { get; private init; } = [];

    public Dictionary<JoinScope, OracleScope> Scopes { get; private init; } = [];

    /// <summary>Scopes already copied for this state (the others are still shared with the state it was copied from).</summary>
    public HashSet<JoinScope> CopiedScopes { get; private init; } = [];

    public long Stamp { get; set; }

    public long RepliesPosted { get; set; }

    /// <summary>The time of the request being planned.</summary>
    public DateTimeOffset Now { get; set; }

    public OracleState Copy() => new()
    {
        Ids = new(Ids),
        Models = new(Models),
        Entries = new(Entries),
        Scopes = new(Scopes),
        Stamp = Stamp,
        RepliesPosted = RepliesPosted,
        Now = Now,
    };
}
