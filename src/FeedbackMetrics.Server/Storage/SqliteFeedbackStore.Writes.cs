using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The transactions of the writer: a group of requests, a reset, and forgetting remembered ids.</summary>
public sealed partial class SqliteFeedbackStore
{
    /// <summary>Forgotten ids are deleted once this many have piled up (or at the next prune interval).</summary>
    private const int ForgetBatch = 4096;

    private void WriteApplies(List<WriteRequest> batch)
    {
        var statements = _statements!;
        var plan = new CapacityPlan(_book);
        var outcomes = new object?[batch.Count];
        var counted = new List<(UInt128 Hash, FeedbackEvent Event)>();
        var inGroup = new HashSet<UInt128>();
        for (var i = 0; i < batch.Count; i++)
        {
            var request = (ApplyRequest)batch[i];
            var applied = new bool[request.Events.Count];
            var fresh = new List<FeedbackEvent>(request.Events.Count);
            var hashes = new UInt128[request.Events.Count];
            for (var e = 0; e < request.Events.Count; e++)
            {
                hashes[e] = EventHash.Of(request.Events[e].Id);
                if (!_dedupe.Contains(hashes[e]) && !inGroup.Contains(hashes[e]))
                {
                    applied[e] = true;
                    fresh.Add(request.Events[e]);
                }
            }

            try
            {
                plan.Admit(fresh);
            }
            catch (InvalidFeedbackException e)
            {
                outcomes[i] = e;
                continue;
            }

            for (var e = 0; e < applied.Length; e++)
            {
                if (applied[e])
                {
                    inGroup.Add(hashes[e]);
                    counted.Add((hashes[e], request.Events[e]));
                }
            }

            outcomes[i] = applied;
        }

        var newKeyIds = new Dictionary<MetricKey, long>();
        var expiresAt = _dedupe.NewExpiry();
        var firstSeq = _nextSeq;
        using (var transaction = statements.Connection.BeginTransaction(deferred: false))
        {
            statements.Transaction = transaction;
            WriteCounted(statements, counted, plan, newKeyIds, expiresAt);
            transaction.Commit();
            statements.Transaction = null;
        }

        // Committed: now, and only now, the read model, the dedupe window and the senders learn of it.
        foreach (var (key, id) in newKeyIds)
        {
            _keyIds[key] = id;
        }

        foreach (var (hash, _) in counted)
        {
            _dedupe.TryAdd(hash, firstSeq++, expiresAt);
        }

        _nextSeq = firstSeq;
        for (var i = 0; i < batch.Count; i++)
        {
            var request = (ApplyRequest)batch[i];
            if (outcomes[i] is Exception e)
            {
                request.Completion.TrySetException(e);
                continue;
            }

            var applied = (bool[])outcomes[i]!;
            var results = new ApplyResult[applied.Length];
            for (var j = 0; j < applied.Length; j++)
            {
                var item = request.Events[j];
                results[j] = applied[j] ? new ApplyResult(ApplyOutcome.Applied, _book.Apply(item.Key, item.Feedback)) : ApplyResult.Duplicate;
            }

            request.Completion.TrySetResult(results);
        }
    }

    private void WriteCounted(SqliteStatements statements, List<(UInt128 Hash, FeedbackEvent Event)> counted, CapacityPlan plan, Dictionary<MetricKey, long> newKeyIds, long expiresAt)
    {
        var cells = new Dictionary<(long Key, string Truth, string Predicted), long>();
        var rewards = new Dictionary<long, (double Total, long Events)>();
        var seq = _nextSeq;
        foreach (var (hash, item) in counted)
        {
            statements.RememberId(seq++, hash, expiresAt);
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
            foreach (var (_, id) in ids)
            {
                foreach (var table in new[] { "cells", "classes" })
                {
                    SqliteStateFile.Execute(connection, $"DELETE FROM {table} WHERE key_id = {id}", transaction);
                }

                SqliteStateFile.Execute(connection, $"DELETE FROM keys WHERE id = {id}", transaction);
            }

            transaction.Commit();
        }

        foreach (var (key, _) in ids)
        {
            _keyIds.Remove(key);
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
