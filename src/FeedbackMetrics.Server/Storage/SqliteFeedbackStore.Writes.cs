using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The transactions of the writer: a group of requests, a reset, and forgetting remembered ids.</summary>
public sealed partial class SqliteFeedbackStore
{
    /// <summary>Forgotten ids are deleted once this many have piled up (or at the next prune interval).</summary>
    private const int ForgetBatch = 4096;

    /// <summary>
    /// One group commit. Requests are planned first (duplicates, limits: each request admitted whole or refused
    /// whole), then applied to the read model in order so each event's metric event carries the figures right
    /// after it, then written — ids, cells, rewards, classes, metric events for the outbox, delivered metric
    /// events forgotten — in one transaction. Only after the commit are requests completed; if it fails, the
    /// read model takes the applies back, so nothing not on disk stays counted.
    /// </summary>
    private void WriteApplies(List<WriteRequest> batch)
    {
        var plan = new CapacityPlan(_book);
        var outcomes = new object?[batch.Count];
        var counted = new List<(UInt128 Hash, FeedbackEvent Event)>();
        var inGroup = new HashSet<UInt128>();
        var joinGroup = new JoinGroup();
        _joinEntries.BeginBatch(); // the join's lookups while planning share one read of the last commit
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i] is ApplyRequest request)
                {
                    outcomes[i] = Plan(request, plan, counted, inGroup, joinGroup);
                }
            }
        }
        finally
        {
            _joinEntries.EndBatch();
        }

        var delivered = new List<long>();
        while (_delivered.TryDequeue(out var seq))
        {
            delivered.Add(seq);
        }

        var undo = new List<(FeedbackEvent Event, List<CountedRow> Rows, bool KeyWasNew)>(counted.Count);
        var results = new Dictionary<FeedbackEvent, ApplyResult>(ReferenceEqualityComparer.Instance);
        var outbox = new List<OutboxEntry>();
        var newKeyIds = new Dictionary<MetricKey, long>();
        var expiresAt = _dedupe.NewExpiry();
        _bucketDeltas.Clear();
        List<(MetricKey Key, IReadOnlyList<string> Names)> namesWritten;
        try
        {
            foreach (var (_, item) in counted)
            {
                if (item.Join is not null)
                {
                    results[item] = ApplyJoin(joinGroup, item, outbox);
                    continue;
                }

                var keyWasNew = !_book.Contains(item.Key);
                var rows = new List<CountedRow>(item.Feedback.Rows.Length);
                var snapshot = _book.Apply(item.Key, item.Feedback, rows);
                BucketsCounted(item.Key, rows);
                undo.Add((item, rows, keyWasNew));
                var reply = item.Reply(snapshot);
                results[item] = new ApplyResult(ApplyOutcome.Applied, snapshot, reply);
                if (_outbox.TryReserve())
                {
                    outbox.Add(new OutboxEntry(_nextOutboxSeq + outbox.Count, reply));
                }
            }

            using var transaction = _statements!.Connection.BeginTransaction(deferred: false);
            _statements.Transaction = transaction;
            WriteJoin(joinGroup, transaction, newKeyIds);
            WriteCounted(_statements, counted, plan, newKeyIds, expiresAt);
            WriteWindowRows(_statements, undo, newKeyIds);
            WriteBuckets(_statements, newKeyIds);
            namesWritten = WriteClassNames(transaction, counted, joinGroup, newKeyIds);
            foreach (var entry in outbox)
            {
                _statements.InsertOutbox(entry.Seq, MetricEventBlob.Write(entry.Event));
            }

            foreach (var seq in delivered)
            {
                _statements.DeleteOutbox(seq);
            }

            transaction.Commit();
            _statements.Transaction = null;
        }
        catch
        {
            UndoJoin(joinGroup);
            for (var i = undo.Count - 1; i >= 0; i--)
            {
                _book.Unapply(undo[i].Event.Key, undo[i].Event.Feedback, undo[i].Rows, undo[i].KeyWasNew);
            }

            foreach (var _ in outbox)
            {
                _outbox.Release();
            }

            foreach (var seq in delivered)
            {
                _delivered.Enqueue(seq);
            }

            throw;
        }

        JoinCommitted(joinGroup.Written);
        ClassNamesCommitted(namesWritten);

        // Committed: now, and only now, the dedupe window, the senders and the waiting requests learn of it.
        foreach (var (key, id) in newKeyIds)
        {
            _keyIds[key] = id;
        }

        foreach (var (hash, _) in counted)
        {
            _dedupe.TryAdd(hash, _nextSeq++, expiresAt);
        }

        _nextOutboxSeq += outbox.Count;
        foreach (var entry in outbox)
        {
            _outbox.Publish(entry);
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is not ApplyRequest request)
            {
                continue;
            }

            if (outcomes[i] is Exception e)
            {
                request.Completion.TrySetException(e);
                continue;
            }

            var applied = (bool[])outcomes[i]!;
            var answer = new ApplyResult[applied.Length];
            for (var j = 0; j < applied.Length; j++)
            {
                answer[j] = applied[j] ? results[request.Events[j]] : ApplyResult.Duplicate;
            }

            request.Completion.TrySetResult(answer);
        }
    }

    /// <summary>Which events of a request are new (not remembered, not earlier in this group); admits them whole or returns the refusal.</summary>
    private object Plan(ApplyRequest request, CapacityPlan plan, List<(UInt128 Hash, FeedbackEvent Event)> counted, HashSet<UInt128> inGroup, JoinGroup joinGroup)
    {
        var applied = new bool[request.Events.Count];
        var fresh = new List<FeedbackEvent>(request.Events.Count);
        var hashes = new UInt128[request.Events.Count];
        var inRequest = new HashSet<UInt128>();
        for (var e = 0; e < request.Events.Count; e++)
        {
            hashes[e] = EventHash.Of(request.Events[e].Id);
            if (!_dedupe.Contains(hashes[e]) && !inGroup.Contains(hashes[e]) && inRequest.Add(hashes[e]))
            {
                applied[e] = true;
                fresh.Add(request.Events[e]);
            }
        }

        try
        {
            Admit(plan, fresh, request.Events.Count, joinGroup);
        }
        catch (InvalidFeedbackException x)
        {
            return x;
        }

        for (var e = 0; e < applied.Length; e++)
        {
            if (applied[e])
            {
                inGroup.Add(hashes[e]);
                counted.Add((hashes[e], request.Events[e]));
            }
        }

        return applied;
    }

    private void WriteCounted(SqliteStatements statements, List<(UInt128 Hash, FeedbackEvent Event)> counted, CapacityPlan plan, Dictionary<MetricKey, long> newKeyIds, long expiresAt)
    {
        var cells = new Dictionary<(long Key, string Truth, string Predicted), long>();
        var rewards = new Dictionary<long, (double Total, long Events)>();
        var seq = _nextSeq;
        foreach (var (hash, item) in counted)
        {
            statements.RememberId(seq++, hash, expiresAt);
            if (item.Join is not null)
            {
                continue; // what a join counts is written by WriteJoin, under the response's key
            }

            var keyId = KeyIdFor(item.Key, newKeyIds);
            foreach (var row in item.Feedback.Rows)
            {
                var cell = (keyId, row.Truth.DisplayName, row.Predicted.DisplayName);
                cells[cell] = cells.GetValueOrDefault(cell) + 1;
            }

            if (item.Feedback.Reward is { } reward)
            {
                var (total, events) = rewards.GetValueOrDefault(keyId);
                rewards[keyId] = (total + reward, events + 1);
            }
        }

        foreach (var ((keyId, truth, predicted), count) in cells)
        {
            statements.AddToCell(keyId, truth, predicted, count);
        }

        foreach (var (keyId, (total, events)) in rewards)
        {
            statements.AddReward(keyId, total, events);
        }

        foreach (var (key, keyPlan) in plan.Plans)
        {
            if (!_keyIds.ContainsKey(key) && !newKeyIds.ContainsKey(key))
            {
                continue; // a key only refused or duplicate events touched
            }

            var keyId = KeyIdFor(key, newKeyIds);
            for (var ordinal = keyPlan.InitialCount; ordinal < keyPlan.Names.Count; ordinal++)
            {
                statements.InsertClass(keyId, ordinal, keyPlan.Names[ordinal]);
            }
        }
    }

    /// <summary>
    /// Writes the rows each model counted in this group as one chunk, when count windows are configured (time windows
    /// keep bucket states), each model's next window sequence, and the cumulative probability sums of every model that
    /// counted a scored row; the aggregates already hold this group, and only the writer applies.
    /// </summary>
    private void WriteWindowRows(SqliteStatements statements, List<(FeedbackEvent Event, List<CountedRow> Rows, bool KeyWasNew)> applied, Dictionary<MetricKey, long> newKeyIds)
    {
        var perKey = new Dictionary<MetricKey, List<CountedRow>>();
        HashSet<MetricKey>? scoredKeys = null;
        foreach (var (item, rows, _) in applied)
        {
            if (_book.Windows.Count > 0)
            {
                if (!perKey.TryGetValue(item.Key, out var list))
                {
                    perKey[item.Key] = list = new List<CountedRow>(rows.Count);
                }

                list.AddRange(rows);
            }

            foreach (var row in rows)
            {
                if (row.Row.Probability.HasValue)
                {
                    (scoredKeys ??= []).Add(item.Key);
                    break;
                }
            }
        }

        foreach (var (key, rows) in perKey)
        {
            if (rows.Count > 0)
            {
                var keyId = KeyIdFor(key, newKeyIds);
                if (HasCountWindows)
                {
                    statements.InsertWindowChunk(keyId, rows);
                }

                statements.SetNextWindowSeq(keyId, rows.Max(r => r.Stamp.Sequence) + 1);
                _windowKeys[keyId] = key;
            }
        }

        foreach (var key in scoredKeys ?? [])
        {
            if (_book.TryGet(key, out var aggregate))
            {
                statements.SetProbabilities(KeyIdFor(key, newKeyIds), aggregate.Probabilities());
            }
        }
    }

    private long KeyIdFor(MetricKey key, Dictionary<MetricKey, long> newKeyIds)
    {
        if (_keyIds.TryGetValue(key, out var id) || newKeyIds.TryGetValue(key, out id))
        {
            return id;
        }

        id = _statements!.InsertKey(key);
        newKeyIds[key] = id;
        return id;
    }

    private int WriteReset(ResetRequest reset)
    {
        var ids = reset.Keys.Where(_keyIds.ContainsKey).Select(k => (Key: k, Id: _keyIds[k])).ToList();
        var connection = _statements!.Connection;
        using (var transaction = connection.BeginTransaction(deferred: false))
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = SqliteSql.ResetKey;
            var key = command.Parameters.Add(new Microsoft.Data.Sqlite.SqliteParameter { ParameterName = "$key" });
            foreach (var (_, id) in ids)
            {
                key.Value = id;
                command.ExecuteNonQuery();
            }

            var changes = ResetJoin(ids.Select(i => i.Key), transaction);
            transaction.Commit();
            JoinCommitted(changes);
        }

        foreach (var (key, _) in ids)
        {
            _keyIds.Remove(key);
            _namesOnDisk.Remove(key);
            _book.Remove(key);
        }

        return ids.Count;
    }

    /// <summary>
    /// Deletes the rows of ids the window has forgotten (expired, or oldest past --dedupe_max_ids): one range at
    /// the head of the append-only table, so the cost is that of the rows deleted, whatever the number remembered.
    /// </summary>
    private void ForgetIfDue()
    {
        var through = _dedupe.ForgottenThrough;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (through <= _forgottenOnDisk || (through - _forgottenOnDisk < ForgetBatch && now - _lastForget < PruneInterval.TotalMilliseconds))
        {
            return;
        }

        _lastForget = now;
        using var transaction = _statements!.Connection.BeginTransaction(deferred: false);
        _statements.Transaction = transaction;
        _statements.ForgetIdsThrough(through);
        transaction.Commit();
        _statements.Transaction = null;
        _forgottenOnDisk = through;
    }
}
