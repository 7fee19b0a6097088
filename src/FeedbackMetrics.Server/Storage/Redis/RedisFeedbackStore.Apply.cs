using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
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
    /// join figures, outbox. Returns false, having changed nothing, when the script asks for the join to be decided
    /// again (an entry read changed meanwhile).
    /// </summary>
    private async Task<bool> RunApplyAsync(RedisApplyRequest request, RedisJoinPlan? plan, ApplyResult[] results)
    {
        var held = request.Groups.Select(g => _model.Get(g.Key)).ToList();
        Action<Utf8JsonWriter>? join = plan is null ? null : json => plan.Write(json, _names.JoinPrefix, _joinLimits.MaxEntries);
        var limits = new RedisApplyRequest.ApplyLimits((long)_options.DedupeTtl.TotalMilliseconds, _options.DedupeMaxIds, _book.MaxClasses, _book.MaxKeys);
        var argument = request.ScriptArgument(limits, [.. held.Select(h => h.Version)], _shared, _book.Time.GetUtcNow(), TopKOf, join);
        RedisResult[] answer;
        try
        {
            answer = (RedisResult[])(await Db.ScriptEvaluateAsync(
                RedisScripts.Apply,
                [_names.Models, _names.Ids, .. request.Groups.SelectMany(g => _names.Of(g.Tag))],
                [argument, .. (plan?.Blobs ?? []).Select(b => (RedisValue)b)]))!;
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            throw Fail(e);
        }

        if (answer[0].Resp2Type == ResultType.BulkString && (string?)answer[0] == "retry")
        {
            return false;
        }

        ThrowIfRefused(request, answer);
        List<MetricEvent> outbox;
        try
        {
            Interlocked.Exchange(ref _oldestIdExpiry, (long)(double)answer[0]);
            outbox = Complete(request, held, (RedisResult[])answer[2]!, results, plan);
            if (plan is not null)
            {
                ShowJoin((RedisResult[])answer[3]!, completeSince: null);
            }
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            // Counted in Redis, but the answer could not be read (a defect): 503, so the broker redelivers and gets
            // a duplicate's answer; the next refresh reads the models back.
            throw Fail(e);
        }

        try
        {
            await _outbox.AddAsync([.. outbox]);
        }
        catch (Exception e) when (IsRedisFault(e))
        {
            // The events are counted in Redis: they are answered as counted (the broker gets their metric events in
            // the answer); only the copies for --reply_url are lost, counted as dropped.
            RedisLog.OutboxWriteFailed(_logger, outbox.Count, e.Message);
            Fail(e);
        }

        await ReadRelabelledAsync(request);
        return true;
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
    private void ThrowIfRefused(RedisApplyRequest request, RedisResult[] answer)
    {
        var why = answer[0].Resp2Type == ResultType.BulkString ? (string?)answer[0] : null;
        if (why is not ("classes" or "models"))
        {
            return;
        }

        var e = request.Events[request.Groups[(int)answer[1] - 1].Events[(int)answer[2] - 1]]!;
        var count = (int)answer[3];
        throw Refused(e, request.Events.Count, why == "classes"
            ? $"This event would bring the model to {count} classes; at most {_book.MaxClasses} are kept per model (--max_classes)."
            : $"The server already keeps figures for {count} models; at most {_book.MaxKeys} are kept (--max_keys). Reset unused ones or raise the limit.");
    }

    /// <summary>
    /// Reads the script's answer: per model which events were counted and the state before them (or none when the
    /// state held was current); replays the counted events (and relabels) on a scratch copy of that state so each
    /// metric event carries the figures right after its event, and brings the read model to the state after the
    /// request. Returns the metric events for the outbox: every counted event's, a join's too when its sender gets
    /// an empty answer (a response that met its parked truth).
    /// </summary>
    private List<MetricEvent> Complete(RedisApplyRequest request, List<RedisKeyState> held, RedisResult[] answer, ApplyResult[] results, RedisJoinPlan? plan)
    {
        var outbox = new List<MetricEvent>();
        for (var g = 0; g < request.Groups.Count; g++)
        {
            var group = request.Groups[g];
            var reply = (RedisResult[])answer[g]!;
            var version = (long)reply[0];
            var applied = (string)reply[1]!;
            var classCount = (int)reply[2];
            var before = reply[3].IsNull ? held[g] : ParseBefore((RedisResult[])reply[3]!);
            var scratch = before.ToAggregate(group.Key, _time);
            var own = new List<OwnChange>();
            for (var j = 0; j < group.Events.Count; j++)
            {
                if (applied[j] != '1')
                {
                    continue;
                }

                var index = group.Events[j];
                var e = request.Events[index]!;
                var step = plan?.Steps[index];
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
                var metricEvent = e.Reply(snapshot);
                results[index] = step is null
                    ? new ApplyResult(ApplyOutcome.Applied, snapshot, metricEvent)
                    : new ApplyResult(ApplyOutcome.Applied, snapshot, step.RepliesToSender ? metricEvent : null) { Join = step.Result.Action };
                outbox.Add(metricEvent);
            }

            var after = RedisKeyState.Of(scratch.Snapshot(), version, before.Generation);
            var added = ((RedisResult[])reply[4]!).Select(r => (string)r!).ToArray();
            if (after.Classes.Length != classCount || !after.Classes.AsSpan(Math.Min(before.Classes.Length, after.Classes.Length)).SequenceEqual(added))
            {
                // The replay disagrees with Redis on the classes or their order (a defect): hold nothing for this
                // model, so the next refresh reads its whole state instead of a difference.
                RedisLog.ReplayMismatch(_logger, group.Key.ToString(), string.Join(", ", after.Classes), classCount);
                after = RedisKeyState.Unknown with { Version = version - 1 };
                own.Clear();
            }

            _model.Sync(group.Key, after, own);
        }

        return outbox;
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
}
