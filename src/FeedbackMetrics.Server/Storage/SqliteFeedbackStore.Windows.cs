using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// Windows on disk: rows (window_chunks) only for the count windows, pruned once a minute to what they need; time
/// windows as their buckets' states (window_buckets), not as rows. Each group records, as the read model
/// counts and relabels, what it does to every bucket (<see cref="TimeBucketDelta"/>); in the group's transaction each
/// touched bucket is read from the file, the group's own steps are merged in and it is written back. So a stored bucket
/// holds exactly the rows of committed events: never a copy of the bucket in memory, which may already hold rows of a
/// group whose commit fails.
/// </summary>
public sealed partial class SqliteFeedbackStore
{
    /// <summary>The bucket steps of the group being written, per model, in the order the read model took them.</summary>
    private readonly Dictionary<MetricKey, TimeBucketDelta> _bucketDeltas = [];

    private bool? _hasTimeWindows;
    private bool? _hasCountWindows;

    private bool HasTimeWindows => _hasTimeWindows ??= _book.Windows.Any(w => w.Kind == WindowKind.Time);

    /// <summary>Rows are written only for count windows: time windows keep bucket states.</summary>
    private bool HasCountWindows => _hasCountWindows ??= _book.Windows.Any(w => w.Kind == WindowKind.Count);

    /// <summary>Records rows a group counted for a model (call right after the read model counted them).</summary>
    private void BucketsCounted(MetricKey key, List<CountedRow> rows)
    {
        if (HasTimeWindows)
        {
            var delta = DeltaFor(key);
            foreach (var (stamp, row) in rows)
            {
                delta.Add(stamp, row);
            }
        }
    }

    /// <summary>Records rows a group's relabel moved (call right after the read model moved them).</summary>
    private void BucketsMoved(MetricKey key, List<(CountedRow Before, CountedRow After)> moved)
    {
        if (HasTimeWindows)
        {
            var delta = DeltaFor(key);
            foreach (var (before, after) in moved)
            {
                delta.Move(before.Stamp, before.Row, after.Row);
            }
        }
    }

    private TimeBucketDelta DeltaFor(MetricKey key) =>
        _bucketDeltas.TryGetValue(key, out var delta) ? delta : _bucketDeltas[key] = new TimeBucketDelta(_book.Windows);

    /// <summary>In the group's transaction: every touched bucket read (a point lookup), the group's steps merged in, written back.</summary>
    private void WriteBuckets(SqliteStatements statements, Dictionary<MetricKey, long> newKeyIds)
    {
        foreach (var (key, delta) in _bucketDeltas)
        {
            var keyId = KeyIdFor(key, newKeyIds);
            foreach (var change in delta.Changes())
            {
                var stored = statements.SelectBucket(keyId, change.Window.Name, change.Index);
                var merged = change.ApplyTo(stored);
                if (stored is not null || merged.Count > 0)
                {
                    // (A relabel of a row whose bucket was pruned finds nothing to move: no empty bucket is written.)
                    statements.UpsertBucket(keyId, change.Window.Name, merged);
                }
            }

            _windowKeys[keyId] = key;
        }
    }

    /// <summary>
    /// Deletes what the models counted since the last prune keep on disk that no window can hold any more: rows before the
    /// rows the count windows need to come back exactly (<see cref="CountWindow.KeepRowsFrom"/>; none with no count window),
    /// and buckets out of their window's span.
    /// </summary>
    private void PruneWindowRowsIfDue()
    {
        var now = Now;
        if (_windowKeys.Count == 0 || now - _lastWindowPrune < PruneInterval.TotalMilliseconds)
        {
            return;
        }

        _lastWindowPrune = now;
        var rows = _book.Windows.Where(w => w.Kind == WindowKind.Count).Select(w => (long)w.Rows).ToList();
        var stamped = _book.Time.GetUtcNow();
        using var transaction = _statements!.Connection.BeginTransaction(deferred: false);
        _statements.Transaction = transaction;
        foreach (var (keyId, key) in _windowKeys)
        {
            _statements.PruneWindowChunks(keyId, _book.TryGet(key, out var aggregate) ? CountWindow.KeepRowsFrom(rows, aggregate.NextWindowSequence) : long.MaxValue);
            PruneBuckets(keyId, stamped);
        }

        transaction.Commit();
        _statements.Transaction = null;
        _windowKeys.Clear();
    }

    /// <summary>Deletes a model's buckets that have left their window's span (with the per-minute prune of rows).</summary>
    private void PruneBuckets(long keyId, DateTimeOffset now)
    {
        foreach (var spec in _book.Windows)
        {
            if (spec.Kind == WindowKind.Time)
            {
                _statements!.PruneBuckets(keyId, spec.Name, spec.BucketIndex(now) - spec.Buckets);
            }
        }
    }

    /// <summary>
    /// The first start after the migration to bucket states: the read model has just rebuilt every window from the stored
    /// rows, as before; its time windows' buckets (nothing is in flight at start-up) and each model's next window
    /// sequence are written once, so the upgrade loses nothing. Buckets of windows no longer in --windows are dropped.
    /// </summary>
    private void SettleBuckets(Dictionary<MetricKey, long> keyIds, bool fromRows)
    {
        using var transaction = _statements!.Connection.BeginTransaction(deferred: false);
        _statements.Transaction = transaction;
        if (fromRows)
        {
            foreach (var (key, keyId) in keyIds)
            {
                if (_book.TryGet(key, out var aggregate))
                {
                    foreach (var (window, state) in aggregate.BucketStates())
                    {
                        _statements.UpsertBucket(keyId, window, state);
                    }

                    _statements.SetNextWindowSeq(keyId, aggregate.NextWindowSequence);
                }
            }

            SqliteStateFile.Execute(_statements.Connection, SqliteSql.BucketsFromRowsDone, transaction);
        }

        using (var drop = _statements.Connection.CreateCommand())
        {
            var names = _book.Windows.Where(w => w.Kind == WindowKind.Time).Select(w => w.Name).ToList();
            drop.Transaction = transaction;
            drop.CommandText = SqliteSql.DeleteBucketsOfOtherWindows(names.Count);
            for (var i = 0; i < names.Count; i++)
            {
                drop.Parameters.AddWithValue($"$w{i}", names[i]);
            }

            drop.ExecuteNonQuery();
        }

        transaction.Commit();
        _statements.Transaction = null;
    }
}
