using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The writer thread of a durable log: groups, commits, housekeeping, and riding out storage faults.</summary>
public sealed partial class EngineStore
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    /// <summary>Decisions per group before its requests are answered 503, while other replicas keep appending first.</summary>
    private const int ConflictAttempts = 64;

    private void WriteLoop()
    {
        var batch = new List<WriteRequest>(MaxBatch);
        while (true)
        {
            if (_unavailable is not null)
            {
                FailQueued();
                if (_stopping.Token.WaitHandle.WaitOne(ProbeInterval) || _queue.Reader.Completion.IsCompleted)
                {
                    return;
                }

                TryRecover();
                continue;
            }

            if (!_queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                return;
            }

            // Take what is waiting; a reset is decided alone so applies before and after it keep their order.
            var woken = false;
            while (batch.Count < MaxBatch && _queue.Reader.TryPeek(out var next) && (batch.Count == 0 || next is not ResetRequest))
            {
                _queue.Reader.TryRead(out _);
                if (next is WakeUp)
                {
                    Interlocked.Exchange(ref _wakePending, 0);
                    woken = true;
                    continue;
                }

                batch.Add(next);
                if (next is ResetRequest)
                {
                    break;
                }
            }

            try
            {
                var started = _time.GetTimestamp();
                if (batch.Count == 0)
                {
                    Follow();
                    Decided(() => (0, _engine.Housekeep()));
                }
                else if (batch[0] is ResetRequest reset)
                {
                    reset.Completion.TrySetResult(Decided(() => _engine.Reset(reset.Keys)));
                }
                else
                {
                    if (woken && _log.Shared)
                    {
                        // Under traffic too: a log kept per deployment refuses only the deployments a replica writes to,
                        // so the others' figures would otherwise lag.
                        Follow();
                    }

                    Apply(batch);
                    _commitSeconds.Observe(_time.GetElapsedTime(started).TotalSeconds);
                    _batchSize.Observe(batch.Count);
                }

                if (_unavailable is null)
                {
                    _log.Maintain(_engine.State, _outbox.Holds, Drain());
                }
            }
            catch (Exception e) when (IsStorageFault(e))
            {
                // A snapshot that failed has taken what changed: the state is read from the file again.
                _reloadOnRecovery = true;
                EnterFailure(e.Message, e, batch);
            }
            catch (StateConflictException e)
            {
                // Other replicas kept appending first: the broker delivers these requests again.
                Log.StateContended(_logger, batch.Count, ConflictAttempts);
                foreach (var request in batch)
                {
                    Fail(request, new StorageUnavailableException($"Storage unavailable: the state kept changing under other replicas ({ConflictAttempts} attempts); deliver it again.", e));
                }
            }
            catch (Exception e)
            {
                // Not a storage fault but a defect of ours: the requests of this group fail (503, the broker
                // retries), the state is rebuilt from the file as after a storage fault, and the process lives on.
                Log.WriterDefect(_logger, e);
                _reloadOnRecovery = true;
                EnterFailure($"internal error in the writer: {e.Message}", e, batch);
            }

            batch.Clear();
        }
    }

    /// <summary>
    /// Decides the group, commits its change set, applies it, and only then answers each request. With a shared log,
    /// while another replica appended first, catches up and decides again (at most <see cref="ConflictAttempts"/> times)
    /// the requests not yet done: a log kept per deployment may have committed some deployments' parts, and a request
    /// wholly within them is answered as decided.
    /// </summary>
    private void Apply(List<WriteRequest> batch)
    {
        var open = batch.Cast<ApplyRequest>().ToList();
        for (var attempt = 1; ; attempt++)
        {
            var decision = _engine.Decide([.. open.Select(r => r.Events)]);
            try
            {
                _log.Commit(decision.Changes);
            }
            catch (StateConflictException conflict) when (attempt < ConflictAttempts)
            {
                if (conflict.Committed is { } durable)
                {
                    Committed(durable);
                }

                var done = conflict.CommittedScopes;
                var (finished, rest) = (new List<(ApplyRequest, RequestOutcome)>(), new List<ApplyRequest>());
                for (var i = 0; i < open.Count; i++)
                {
                    if (done.Count > 0 && open[i].Events.All(e => done.Contains(JoinScope.Of(e.Key))))
                    {
                        finished.Add((open[i], decision.Requests[i]));
                    }
                    else
                    {
                        rest.Add(open[i]);
                    }
                }

                Answer(finished);
                open = rest;
                _engine.ForgetPlans();
                Follow(conflict.Lost ? conflict : null);
                if (open.Count == 0)
                {
                    return;
                }

                continue;
            }
            catch (Exception e) when (IsStorageFault(e))
            {
                // Nothing of the rest is applied: the state is loaded again from the log once it answers, and is what
                // the log holds meanwhile.
                EnterFailure(e.Message, e, batch);
                batch.Clear();
                return;
            }

            Committed(decision.Changes);
            Answer([.. open.Select((r, i) => (r, decision.Requests[i]))]);
            return;
        }
    }

    private static void Answer(IEnumerable<(ApplyRequest Request, RequestOutcome Outcome)> answers)
    {
        foreach (var (request, outcome) in answers)
        {
            _ = outcome.Refusal is { } refusal ? request.Completion.TrySetException(refusal) : request.Completion.TrySetResult(outcome.Results!);
        }
    }

    /// <summary>
    /// Decides, commits and applies housekeeping or a reset; with a shared log, while another replica appended first,
    /// applies what did commit, catches up and decides again (at most <see cref="ConflictAttempts"/> times).
    /// </summary>
    private T Decided<T>(Func<(T Result, ChangeSet Changes)> decide)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (result, changes) = decide();
            try
            {
                _log.Commit(changes);
                Committed(changes);
                return result;
            }
            catch (StateConflictException conflict) when (attempt < ConflictAttempts)
            {
                if (conflict.Committed is { } durable)
                {
                    Committed(durable);
                }

                _engine.ForgetPlans();
                Follow(conflict.Lost ? conflict : null);
            }
        }
    }

    /// <summary>
    /// Brings the state up to what a shared log holds: the change sets other replicas appended since, or, when the log
    /// cannot be followed (<paramref name="lost"/>, or it was trimmed or replaced meanwhile), the whole state again.
    /// </summary>
    private void Follow(StateConflictException? lost = null)
    {
        if (lost is null)
        {
            try
            {
                _log.CatchUp(_engine);
                return;
            }
            catch (StateConflictException e) when (e.Lost)
            {
                lost = e;
            }
        }

        Log.StateLost(_logger, lost.Message);
        Load();
    }

    private void FailQueued()
    {
        while (_queue.Reader.TryRead(out var request))
        {
            if (request is WakeUp)
            {
                // Taken, so the next tick may queue one again: housekeeping (and following other replicas) goes on after recovery.
                Interlocked.Exchange(ref _wakePending, 0);
                continue;
            }

            Fail(request, new StorageUnavailableException($"Storage unavailable: {_unavailable}."));
        }
    }

    private static void Fail(WriteRequest request, Exception e)
    {
        _ = request switch
        {
            ApplyRequest apply => apply.Completion.TrySetException(e),
            ResetRequest reset => reset.Completion.TrySetException(e),
            _ => false,
        };
    }

    private void EnterFailure(string reason, Exception e, List<WriteRequest> batch)
    {
        reason = reason.TrimEnd('.');
        Log.StorageUnavailable(_logger, reason);
        _unavailable = reason;
        foreach (var request in batch)
        {
            Fail(request, new StorageUnavailableException($"Storage unavailable: {reason}.", e));
        }

        // A shared log may have taken a change set this state did not apply (a WAIT that failed after the append).
        _reloadOnRecovery |= _log.Shared;
        _log.Close(graceful: false);
    }

    /// <summary>Reopens the log, proves a write commits, and, when the state may differ from the file, reads it again.</summary>
    private void TryRecover()
    {
        try
        {
            _log.Probe();
            if (!_loaded || _reloadOnRecovery)
            {
                Load();
            }

            _unavailable = null;
            Log.StorageRecovered(_logger);
        }
        catch (Exception e) when (IsStorageFault(e) || e is StateFileException)
        {
            _log.Close(graceful: false);
        }
    }
}
