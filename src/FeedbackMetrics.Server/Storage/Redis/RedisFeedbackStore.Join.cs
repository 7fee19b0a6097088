using System.Globalization;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.State;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The late-truth join on Redis, shared by every replica: a request with response or truth-only events reads the
/// entries it touches (one round trip; a request of responses first guesses them absent instead), a scratch ledger decides on them (<see cref="RedisJoinPlan"/>), and the one
/// apply script writes the decision only if none of those entries changed meanwhile; otherwise the request is
/// decided again on a fresh read, a few times, then refused with 503 (the broker redelivers). Each replica's ledger
/// shows the global figures: brought up to date by every answer and every refresh.
/// </summary>
public sealed partial class RedisFeedbackStore
{
    /// <summary>Reads and decisions per request before it is refused with 503 as contended.</summary>
    private const int JoinAttempts = 8;

    /// <summary>Entries forgotten by TTL per sweep (a sweep runs every refresh, on every replica).</summary>
    private const int SweepChunk = 1000;

    private readonly JoinLedger _join;
    private readonly JoinLimits _joinLimits;
    private readonly Lock _joinGate = new();
    private readonly Dictionary<JoinScope, (long Version, JoinScopeState Sums, long TouchedAt)> _joinShown = [];
    private long _joinTouches;

    private async Task<ApplyResult[]> ApplyJoinAsync(IReadOnlyList<FeedbackEvent> events)
    {
        var seen = new HashSet<UInt128>();
        var hashes = events.Select(e => EventHash.Of(e.Id)).Select(h => seen.Add(h) ? h.ToString("x32", CultureInfo.InvariantCulture) : null).ToArray();

        // Logged responses, the bulk of the join's traffic, name request ids never seen before: decided as if read and
        // found absent, they cost one round trip; the apply script checks that guess as it checks any read.
        if (events.All(e => e.Join is null or ResponsePart) && await TryApplyJoinAsync(events, hashes, Absent(events, hashes)) is { } guessed)
        {
            return guessed;
        }

        var query = RedisJoinPlan.Query(events, [.. hashes.OfType<string>()]);
        for (var attempt = 0; attempt < JoinAttempts; attempt++)
        {
            RedisResult[] read;
            try
            {
                read = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisJoinScripts.Read, [_names.Ids], [_names.JoinPrefix, query]))!;
            }
            catch (Exception e) when (IsRedisFault(e))
            {
                throw Fail(e);
            }

            if (await TryApplyJoinAsync(events, hashes, read) is { } results)
            {
                return results;
            }
        }

        RedisLog.JoinContended(_logger, events.Count, JoinAttempts);
        throw new StorageUnavailableException($"Storage unavailable: the join entries of this request kept changing under other replicas ({JoinAttempts} attempts); deliver it again.");
    }

    /// <summary>Decides the request on what was read and writes it; null when an entry read changed meanwhile (decide again).</summary>
    private async Task<ApplyResult[]?> TryApplyJoinAsync(IReadOnlyList<FeedbackEvent> events, string?[] hashes, RedisResult[] read)
    {
        var plan = RedisJoinPlan.Decide(events, hashes, read, _joinLimits, _join.Clock, _book);
        var results = new ApplyResult[events.Count];
        Array.Fill(results, ApplyResult.Duplicate);
        for (var i = 0; i < events.Count; i++)
        {
            if (plan.Steps[i] is { Admitted: null } step)
            {
                results[i] = new ApplyResult(ApplyOutcome.Applied, null) { Join = step.Result.Action };
            }
        }

        return !plan.Writes || await RunApplyAsync(RedisApplyRequest.Of(plan.Counted, plan.Replaced, plan.EntryIds()), plan, results) ? results : null;
    }

    /// <summary>
    /// What the read script would answer if every event were new and none of the request's entries existed: every
    /// digest new, every entry at version 0 with no record, every deployment's sums empty (the deltas written do not
    /// depend on them: a pending response adds the same whatever the sums were).
    /// </summary>
    private static RedisResult[] Absent(IReadOnlyList<FeedbackEvent> events, string?[] hashes)
    {
        var halves = events.Where(e => e.Join is not null).ToList();
        var entries = halves.Select(e => (JoinScope.Of(e.Key), e.Join!.RequestId)).Distinct().Count();
        var scopes = halves.Select(e => JoinScope.Of(e.Key)).Distinct().Count();
        var absent = RedisResult.Create([RedisResult.Create((RedisValue)"0"), RedisResult.Create((RedisValue)string.Empty)]);
        return
        [
            RedisResult.Create((RedisValue)new string('1', hashes.Count(h => h is not null))),
            RedisResult.Create([.. Enumerable.Repeat(absent, entries)]),
            RedisResult.Create([.. Enumerable.Repeat(RedisResult.Create(Array.Empty<RedisResult>()), scopes)]),
        ];
    }

    /// <summary>
    /// Shows the deployments' sums Redis answered with ({tag, HGETALL, …}) in this replica's ledger, newer versions
    /// only. With <paramref name="completeSince"/> the answer lists every deployment there is, as read after that
    /// touch: any other not touched since is gone (one a request created meanwhile is kept).
    /// </summary>
    private void ShowJoin(RedisResult[] pairs, long? completeSince)
    {
        lock (_joinGate)
        {
            var present = new HashSet<JoinScope>();
            for (var i = 0; i + 1 < pairs.Length; i += 2)
            {
                if (RedisKeyNames.ParseScope((string)pairs[i]!) is not { } scope)
                {
                    continue;
                }

                present.Add(scope);
                var sums = RedisJoinSums.Parse((RedisResult[])pairs[i + 1]!);
                if (!_joinShown.TryGetValue(scope, out var shown) || shown.Version < sums.Version)
                {
                    _joinShown[scope] = (sums.Version, sums.Mirror(scope), ++_joinTouches);
                }
            }

            if (completeSince is { } since)
            {
                foreach (var gone in _joinShown.Where(s => !present.Contains(s.Key) && s.Value.TouchedAt <= since).Select(s => s.Key).ToList())
                {
                    _joinShown.Remove(gone);
                }
            }

            _join.Mirror([.. _joinShown.Values.Select(v => v.Sums)], complete: true);
        }
    }

    /// <summary>Reads every deployment's join sums (after a reset).</summary>
    private async Task ReadJoinAsync()
    {
        var since = JoinTouches();
        var pairs = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisJoinScripts.Scopes, [_names.JoinScopes], [_names.JoinPrefix]))!;
        ShowJoin(pairs, since);
    }

    private long JoinTouches()
    {
        lock (_joinGate)
        {
            return _joinTouches;
        }
    }

    /// <summary>
    /// Forgets, counted, the entries past --join_ttl (by this replica's clock) and past the cap (any replica may), then
    /// shows every deployment's sums: the join's part of a refresh, one round trip.
    /// </summary>
    private async Task SweepJoinAsync()
    {
        var now = _join.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var since = JoinTouches();
        var answer = (RedisResult[])(await Db.ScriptEvaluateAsync(
            RedisJoinScripts.Sweep,
            [_names.JoinLru, _names.JoinScopes],
            [_names.JoinPrefix, now, (long)_joinLimits.Ttl.TotalMilliseconds, _joinLimits.MaxEntries, SweepChunk]))!;
        ShowJoin((RedisResult[])answer[1]!, since);
    }

    /// <summary>Forgets the sums shown (Redis lost its state: versions start again from nothing).</summary>
    private void ForgetJoinShown()
    {
        lock (_joinGate)
        {
            _joinShown.Clear();
            _join.Mirror([], complete: true);
        }
    }

    /// <summary>Forgets the entries whose response counts under a model being reset: its rows are gone, so nothing is left to join or move.</summary>
    private async Task ResetJoinAsync(string modelTag) =>
        await Db.ScriptEvaluateAsync(RedisJoinScripts.Reset, [_names.JoinLru], [_names.JoinPrefix, modelTag]);
}
