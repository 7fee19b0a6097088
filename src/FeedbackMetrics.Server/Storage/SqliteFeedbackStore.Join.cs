using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using Microsoft.Data.Sqlite;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// The late-truth join in the writer: response and truth-only events are answered by the ledger while a group is
/// planned (one savepoint per request), the rows a join counts or a correction moves are applied with the group, and
/// the ledger's changes are written in the group's transaction; a failed commit takes all of it back.
/// </summary>
public sealed partial class SqliteFeedbackStore
{
    private readonly JoinLedger? _join;
    private readonly SqliteJoinEntries _joinEntries;
    private SqliteJoinStatements? _joinStatements;

    /// <summary>Admits a request's fresh events; with join halves among them, through the ledger.</summary>
    private void Admit(CapacityPlan plan, List<FeedbackEvent> fresh, int eventsInRequest, JoinGroup group)
    {
        if (_join is null)
        {
            if (fresh.Any(e => e.Join is not null))
            {
                throw new InvalidOperationException("A response or truth-only event reached a store that keeps no join.");
            }

            plan.Admit(fresh);
            return;
        }

        var (steps, savepoint) = JoinPlanner.Admit(_join, plan, fresh, eventsInRequest);
        foreach (var step in steps)
        {
            group.Steps[step.Event] = step;
        }

        if (savepoint is not null)
        {
            group.Savepoints.Add(savepoint);
        }
    }

    /// <summary>Counts what a join gives, or moves what a correction changes, in the read model; the metric event as for any counted event.</summary>
    private ApplyResult ApplyJoin(JoinGroup group, FeedbackEvent item, List<OutboxEntry> outbox)
    {
        var step = group.Steps[item];
        var ledger = _join!;
        KeySnapshot snapshot;
        var key = step.Admitted?.Key ?? default;
        if (step.Result.Action == JoinAction.Joined || (step.Result.Action == JoinAction.Corrected && !_book.Contains(key)))
        {
            var keyWasNew = !_book.Contains(key);
            var rows = new List<CountedRow>(step.Admitted!.Feedback.Rows.Length);
            snapshot = _book.Apply(key, step.Admitted.Feedback, rows);
            BucketsCounted(key, rows);
            var feedback = step.Admitted.Feedback;
            group.Undo.Add(() => _book.Unapply(key, feedback, rows, keyWasNew));
            ledger.RecordCounted(step.Scope, step.Part.RequestId, rows);
            group.Applied.Add((step.Admitted, rows));
        }
        else if (step.Result.Action == JoinAction.Corrected)
        {
            var moved = JoinPlanner.Relabel(ledger, _book, step);
            BucketsMoved(key, moved);
            var replaced = step.Result.Replaced!;
            group.Undo.Add(() =>
            {
                for (var i = moved.Count - 1; i >= 0; i--)
                {
                    _book.Relabel(key, moved[i].After, replaced.Rows[i].Truth, replaced.Scores, i, takeBack: true);
                }
            });
            group.Moved.Add((key, replaced, step.Result.Counted!, moved));
            _book.TryGet(key, out var aggregate);
            snapshot = aggregate.Snapshot();
        }
        else
        {
            return new ApplyResult(ApplyOutcome.Applied, null, null) { Join = step.Result.Action };
        }

        var reply = step.Admitted!.Reply(snapshot);
        if (_outbox.TryReserve())
        {
            outbox.Add(new OutboxEntry(_nextOutboxSeq + outbox.Count, reply));
        }

        return new ApplyResult(ApplyOutcome.Applied, snapshot, step.RepliesToSender ? reply : null) { Join = step.Result.Action };
    }

    /// <summary>Writes the cells, rewards and window rows of joined rows, the moves of corrections, and the ledger's changes.</summary>
    private void WriteJoin(JoinGroup group, SqliteTransaction transaction, Dictionary<MetricKey, long> newKeyIds)
    {
        if (_join is null)
        {
            return;
        }

        var statements = _statements!;
        var windows = HasCountWindows; // a relabelled row's bucket moves it through BucketsMoved
        var applied = new List<(FeedbackEvent Event, List<CountedRow> Rows, bool KeyWasNew)>(group.Applied.Count);
        foreach (var (item, rows) in group.Applied)
        {
            var keyId = KeyIdFor(item.Key, newKeyIds);
            foreach (var row in item.Feedback.Rows)
            {
                statements.AddToCell(keyId, row.Truth.DisplayName, row.Predicted.DisplayName, 1);
            }

            if (item.Feedback.Reward is { } reward)
            {
                statements.AddReward(keyId, reward, 1);
            }

            applied.Add((item, rows, false));
        }

        // Window rows and probability sums of joined rows as for any counted event (one chunk per model).
        WriteWindowRows(statements, applied, newKeyIds);
        HashSet<MetricKey>? scored = null;
        _joinStatements!.Transaction = transaction;
        foreach (var (key, replaced, updated, moved) in group.Moved)
        {
            var keyId = KeyIdFor(key, newKeyIds);
            for (var i = 0; i < moved.Count; i++)
            {
                statements.AddToCell(keyId, replaced.Rows[i].Truth.DisplayName, replaced.Rows[i].Predicted.DisplayName, -1);
                statements.AddToCell(keyId, updated.Rows[i].Truth.DisplayName, updated.Rows[i].Predicted.DisplayName, 1);
                if (replaced.Rows[i].Truth != updated.Rows[i].Truth)
                {
                    statements.AddRelabelled(keyId, replaced.Rows[i].Truth.DisplayName, replaced.Rows[i].Predicted.DisplayName);
                }
                if (windows)
                {
                    _joinStatements.UpdateWindowRow(keyId, moved[i].After);
                }

                if (moved[i].Before.Row.Probability.HasValue || moved[i].After.Row.Probability.HasValue)
                {
                    (scored ??= []).Add(key);
                }
            }
        }

        foreach (var key in scored ?? [])
        {
            if (_book.TryGet(key, out var aggregate))
            {
                statements.SetProbabilities(KeyIdFor(key, newKeyIds), aggregate.Probabilities());
            }
        }

        group.Written = _join.TakeChanges();
        _joinStatements.Write(group.Written);
    }

    /// <summary>Takes a failed group's join back: the read model's moves and counts newest first, then the ledger's requests.</summary>
    private void UndoJoin(JoinGroup group)
    {
        for (var i = group.Undo.Count - 1; i >= 0; i--)
        {
            group.Undo[i]();
        }

        for (var i = group.Savepoints.Count - 1; i >= 0; i--)
        {
            _join!.Rollback(group.Savepoints[i]);
        }

        if (group.Written is { } written)
        {
            _join!.Untake(written);
        }
    }

    /// <summary>Forgets the join entries of reset keys, in the reset's transaction.</summary>
    private JoinChanges? ResetJoin(IEnumerable<MetricKey> keys, SqliteTransaction transaction)
    {
        if (_join is null)
        {
            return null;
        }

        foreach (var key in keys)
        {
            _join.ForgetKey(key);
        }

        _joinStatements!.Transaction = transaction;
        var changes = _join.TakeChanges();
        try
        {
            _joinStatements.Write(changes);
        }
        catch
        {
            _join.Untake(changes);
            throw;
        }

        return changes;
    }

    /// <summary>The group's (or reset's) join changes are on disk: the ledger stops holding them in memory.</summary>
    private void JoinCommitted(JoinChanges? changes)
    {
        if (changes is not null)
        {
            _joinEntries.Committed();
            _join!.Committed(changes);
        }
    }

    /// <summary>
    /// Rebuilds the join from the file (start-up, and recovery after a writer defect): the deployments' states are
    /// read, the entries stay on disk and are read by the ledger when it needs them.
    /// </summary>
    private void LoadJoin()
    {
        if (_join is not null)
        {
            _joinEntries.Load(); // the rows of the entries, as the file holds them now
            _join.Restore(_joinEntries, SqliteJoinStatements.LoadScopes(_connection!));
        }
    }

    /// <summary>What one group does in the join, to write and, should the commit fail, to take back.</summary>
    private sealed class JoinGroup
    {
        public Dictionary<FeedbackEvent, JoinStep> Steps { get; } = new(ReferenceEqualityComparer.Instance);

        public List<JoinSavepoint> Savepoints { get; } = [];

        public List<(FeedbackEvent Event, List<CountedRow> Rows)> Applied { get; } = [];

        public List<(MetricKey Key, DecodedFeedback Replaced, DecodedFeedback Updated, List<(CountedRow Before, CountedRow After)> Moved)> Moved { get; } = [];

        public List<Action> Undo { get; } = [];

        public JoinChanges? Written { get; set; }
    }
}
