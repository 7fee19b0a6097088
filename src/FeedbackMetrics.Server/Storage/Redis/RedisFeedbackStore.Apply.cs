using System.Diagnostics;
using System.Text.Json;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Windows;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>One run of the apply script and what its answer brings to the read model, the results and the outbox.</summary>
public sealed partial class RedisFeedbackStore
{
    /// <summary>
    /// Runs the apply script for a request (with its join part, when it has one) and completes it: results, read model,
    /// join figures, outbox. Returns false, having changed nothing, when the script asks for the request to be decided
    /// again: a join entry read changed meanwhile, or (with an outbox) the state the metric events were worked out
    /// from was not Redis's.
    /// </summary>
    /// <remarks>
    /// With <c>--reply_url</c> the metric events are written by the apply script itself, in the same atomic step as the
    /// counts, so no counted event's metric event is lost: they are worked out beforehand from the state this replica
    /// holds, and the script writes nothing when that state, or which events are new, is not what Redis holds; it
    /// answers with Redis's, and the request is worked out again from it. Requests for one model then go one at a time
    /// per replica, so only another replica's counting makes one stale; a stale answer gives this replica the model's
    /// turn (<see cref="RedisScripts.Apply"/>), and a run that finds another replica's turn waits for it.
    /// </remarks>
    private async Task<bool> RunApplyAsync(RedisApplyRequest request, RedisJoinPlan? plan, ApplyResult[] results)
    {
        if (!_outbox.Enabled)
        {
            return await RunApplyOnceAsync(request, plan, results) == Run.Counted;
        }

        // One request at a time per model on this replica: each then works its metric events out from the state the
        // one before it left, instead of making the others stale.
        var gates = request.Groups.Select(g => g.Tag).Distinct().Order(StringComparer.Ordinal).Select(t => _modelGates.GetOrAdd(t, _ => new SemaphoreSlim(1, 1))).ToList();
        var entered = 0;
        try
        {
            foreach (var gate in gates)
            {
                await gate.WaitAsync();
                entered++;
            }

            // Another replica's turn on a model (it was answered stale and sends its call again): wait for its call.
            var waitingSince = Stopwatch.GetTimestamp();
            while (true)
            {
                var run = await RunApplyOnceAsync(request, plan, results);
                if (run != Run.Wait)
                {
                    return run == Run.Counted;
                }

                if (Stopwatch.GetElapsedTime(waitingSince) > TurnWait)
                {
                    throw new StorageUnavailableException($"Storage unavailable: other replicas held the turn on this request's models for {TurnWait.TotalSeconds:0} s; deliver it again.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(1));
            }
        }
        finally
        {
            foreach (var gate in gates.Take(entered))
            {
                gate.Release();
            }
        }
    }

    /// <summary>What one run of the apply script did: counted the request, asked for it to be decided again, or found another replica's turn.</summary>
    private enum Run
    {
        Counted,
        Again,
        Wait,
    }

    private async Task<Run> RunApplyOnceAsync(RedisApplyRequest request, RedisJoinPlan? plan, ApplyResult[] results)
    {
        var held = request.Groups.Select(g => _model.Get(g.Key)).ToList();
        var blobs = plan?.Blobs ?? [];
        List<MetricReply>? speculated = null;
        List<MetricReply> written = [];
        RedisApplyRequest.OutboxPart? outbox = null;
        if (_outbox.Enabled)
        {
            speculated = Speculate(request, held);
            written = _outbox.Reserve(speculated ?? []);
            outbox = new RedisApplyRequest.OutboxPart((string)_names.Outbox!, RedisOutbox.Group, _outbox.Consumer, 2 + blobs.Count, written.Count, (long)TurnLength.TotalMilliseconds);
        }

        Action<Utf8JsonWriter>? join = plan is null ? null : json => plan.Write(json, _names.JoinPrefix, _joinLimits.MaxEntries);
        var limits = new RedisApplyRequest.ApplyLimits((long)_options.DedupeTtl.TotalMilliseconds, _options.DedupeMaxIds, _book.MaxClasses, _book.MaxKeys);
        var argument = request.ScriptArgument(limits, [.. held.Select(h => h.Version)], _shared, _book.Time.GetUtcNow(), TopKOf, join, outbox);
        RedisResult[] answer;
        try
        {
            answer = (RedisResult[])(await Db.ScriptEvaluateAsync(
                RedisScripts.Apply,
                [_names.Models, _names.Ids, .. request.Groups.SelectMany(g => _names.Of(g.Tag))],
                [argument, .. blobs.Select(b => (RedisValue)b), .. written.Select(e => (RedisValue)MetricEventBlob.Write(_replies.Create(e)))]))!;
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            _outbox.Release(written.Count);
            throw Fail(e);
        }

        // A counted request's answer starts with the oldest id's expiry (a number as text), a refused one with a word.
        var refusal = answer[0].Resp2Type == ResultType.BulkString && (string?)answer[0] is "retry" or "stale" or "wait" or "classes" or "models" ? (string)answer[0]! : null;
        if (refusal is not null)
        {
            _outbox.Release(written.Count);
            if (refusal == "stale")
            {
                TakeStale(request, (RedisResult[])answer[1]!);
            }

            ThrowIfRefused(request, refusal, answer);
            return refusal == "wait" ? Run.Wait : Run.Again;
        }

        try
        {
            Interlocked.Exchange(ref _oldestIdExpiry, (long)(double)answer[0]);
            Complete(request, held, (RedisResult[])answer[2]!, results, plan, speculated);
            if (plan is not null)
            {
                ShowJoin((RedisResult[])answer[3]!, completeSince: null);
            }

            _outbox.Accept(written, (RedisResult[])answer[4]!);
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            // Counted in Redis, but the answer could not be read (a defect): 503, so the broker redelivers and gets
            // a duplicate's answer; the next refresh reads the models back, and the metric events written are taken
            // over from the outbox by a replica once they have waited for it long enough.
            throw Fail(e);
        }

        await ReadRelabelledAsync(request);
        return Run.Counted;
    }

    /// <summary>
    /// The metric events the request's events give when the script finds the state this replica holds and the events
    /// new as expected; null when replaying refuses them (past the class cap: the script refuses them too).
    /// </summary>
    private List<MetricReply>? Speculate(RedisApplyRequest request, List<RedisKeyState> held)
    {
        try
        {
            return [.. request.Groups.SelectMany((_, g) => Replay(request, g, held[g], request.ExpectedFlags[g]).Counted.Select(c => c.MetricEvent))];
        }
        catch (InvalidFeedbackException)
        {
            return null;
        }
    }

    /// <summary>A stale answer: brings the read model to the states Redis holds and expects the events Redis found new.</summary>
    private void TakeStale(RedisApplyRequest request, RedisResult[] states)
    {
        for (var g = 0; g < request.Groups.Count; g++)
        {
            var state = (RedisResult[])states[g]!;
            request.ExpectedFlags[g] = (string)state[1]!;
            _model.Sync(request.Groups[g].Key, RedisKeyState.Parse((long)state[0], (RedisResult[])state[2]!, (RedisResult[])state[3]!, (string)state[4]!, (string)state[5]!, (string)state[6]!), []);
        }
    }

    /// <summary>
    /// Reads back the shared figures of the models a relabel of the request moved rows in: the script moved them in
    /// the windows and sums where they were counted, which this replica's windows may never have held. One more round
    /// trip, for relabels only; should it fail, the next refresh reads them.
    /// </summary>
    private async Task ReadRelabelledAsync(RedisApplyRequest request)
    {
        if (request.Replaced is not { } replaced)
        {
            return;
        }

        var moved = request.Groups.Where(g => g.Events.Any(i => replaced[i] is not null)).Select(g => (g.Key, g.Tag)).ToList();
        if (moved.Count == 0)
        {
            return;
        }

        try
        {
            await ReadModelsAsync(moved);
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            MarkUnavailable(Reason(e));
        }
    }

    /// <summary>The k a model's rows are scored with: the one its probability sums hold, else 0 (the first vector's width chooses).</summary>
    private int TopKOf(Core.Identity.MetricKey key) => _book.TryGet(key, out var aggregate) ? aggregate.TopK : 0;

    /// <summary>The script refused the request (class cap or model cap): nothing was written.</summary>
    private void ThrowIfRefused(RedisApplyRequest request, string refusal, RedisResult[] answer)
    {
        if (refusal is not ("classes" or "models"))
        {
            return;
        }

        var e = request.Events[request.Groups[(int)answer[1] - 1].Events[(int)answer[2] - 1]]!;
        var count = (int)answer[3];
        throw Refused(e, request.Events.Count, refusal == "classes"
            ? $"This event would bring the model to {count} classes; at most {_book.MaxClasses} are kept per model (--max_classes)."
            : $"The server already keeps figures for {count} models; at most {_book.MaxKeys} are kept (--max_keys). Reset unused ones or raise the limit.");
    }

    /// <summary>
    /// Reads the script's answer: per model which events were counted and the state before them (or none when the
    /// state held was current); replays the counted events (and relabels) on a scratch copy of that state so each
    /// metric event carries the figures right after its event (or takes the ones <paramref name="speculated"/>, which
    /// the script wrote to the outbox), and brings the read model to the state after the request.
    /// </summary>
    private void Complete(RedisApplyRequest request, List<RedisKeyState> held, RedisResult[] answer, ApplyResult[] results, RedisJoinPlan? plan, List<MetricReply>? speculated)
    {
        var taken = 0;
        for (var g = 0; g < request.Groups.Count; g++)
        {
            var group = request.Groups[g];
            var reply = (RedisResult[])answer[g]!;
            var version = (long)reply[0];
            var classCount = (int)reply[2];
            var before = reply[3].IsNull ? held[g] : ParseBefore((RedisResult[])reply[3]!);
            var replayed = Replay(request, g, before, (string)reply[1]!);
            foreach (var (index, snapshot, replayedEvent) in replayed.Counted)
            {
                var metricEvent = speculated is null ? replayedEvent : speculated[taken++];
                var step = plan?.Steps[index];
                results[index] = step is null
                    ? new ApplyResult(ApplyOutcome.Applied, metricEvent)
                    : new ApplyResult(ApplyOutcome.Applied, step.RepliesToSender ? metricEvent : null) { Join = step.Result.Action };
            }

            var after = RedisKeyState.Of(replayed.After, version, before.Generation);
            var own = replayed.Own;
            var added = ((RedisResult[])reply[4]!).Select(r => (string)r!).ToArray();
            if (after.Classes.Length != classCount || !after.Classes.AsSpan(Math.Min(before.Classes.Length, after.Classes.Length)).SequenceEqual(added))
            {
                // The replay disagrees with Redis on the classes or their order (a defect): hold nothing for this
                // model, so the next refresh reads its whole state instead of a difference.
                RedisLog.ReplayMismatch(_logger, group.Key.ToString(), string.Join(", ", after.Classes), classCount);
                after = RedisKeyState.Unknown with { Version = version - 1 };
                own = [];
            }

            _model.Sync(group.Key, after, own);
        }
    }

    /// <summary>
    /// Replays a model's events counted (<paramref name="applied"/>: '1' per event counted) on a scratch copy of a
    /// state: per counted event its snapshot and metric event, the state after them, and this replica's changes.
    /// </summary>
    private Replayed Replay(RedisApplyRequest request, int g, RedisKeyState before, string applied)
    {
        var group = request.Groups[g];
        var scratch = before.ToAggregate(group.Key, _time);
        var own = new List<OwnChange>();
        var counted = new List<(int, KeySnapshot, MetricReply)>();
        for (var j = 0; j < group.Events.Count; j++)
        {
            if (applied[j] != '1')
            {
                continue;
            }

            var index = group.Events[j];
            var e = request.Events[index]!;
            if (request.Replaced?[index] is { } replaced)
            {
                Move(scratch, e.Feedback, replaced);
                own.Add(new OwnChange(e.Feedback, replaced));
            }
            else
            {
                scratch.Apply(e.Feedback, _book.MaxClasses);
                own.Add(new OwnChange(e.Feedback));
            }

            var snapshot = scratch.Snapshot();
            counted.Add((index, snapshot, e.Reply(snapshot)));
        }

        return new Replayed(scratch.Snapshot(), own, counted);
    }

    /// <summary>Moves a relabel's rows on a scratch aggregate (no windows): cell by cell, from the replaced rows to the new.</summary>
    private void Move(KeyAggregate scratch, DecodedFeedback rows, DecodedFeedback replaced)
    {
        for (var i = 0; i < rows.Rows.Length; i++)
        {
            var classes = scratch.ClassNames();
            var t = Array.IndexOf(classes, replaced.Rows[i].Truth.DisplayName);
            var p = Array.IndexOf(classes, replaced.Rows[i].Predicted.DisplayName);
            if (t >= 0 && p >= 0)
            {
                scratch.Relabel(new CountedRow(RedisReadModel.Nowhere, new WindowRow(t, p)), rows.Rows[i].Truth, null, i, _book.MaxClasses);
            }
        }
    }

    /// <summary>The state before the request, as the script read it (classes, cells, reward total, reward events, generation).</summary>
    private static RedisKeyState ParseBefore(RedisResult[] before) =>
        RedisKeyState.Parse(0, (RedisResult[])before[0]!, (RedisResult[])before[1]!, (string)before[2]!, (string)before[3]!, (string)before[4]!);

    /// <summary>What replaying a model's counted events gives: the state after them, this replica's changes, and per counted event (its index in the request) its snapshot and metric event.</summary>
    private sealed record Replayed(KeySnapshot After, List<OwnChange> Own, List<(int Index, KeySnapshot Snapshot, MetricReply MetricEvent)> Counted);
}
