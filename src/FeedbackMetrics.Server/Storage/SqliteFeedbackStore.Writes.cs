using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage;

/// <summary>The transactions of the writer: a group of applies, a reset, and pruning of remembered ids.</summary>
public sealed partial class SqliteFeedbackStore
{
    private void WriteApplies(List<WriteRequest> batch)
    {
        var statements = _statements!;
        var outcomes = new object?[batch.Count];
        var plans = new Dictionary<MetricKey, ClassPlan>();
        var newKeyIds = new Dictionary<MetricKey, long>();
        var cells = new Dictionary<(long Key, string Truth, string Predicted), long>();
        var expiresAt = Now + (long)_options.DedupeTtl.TotalMilliseconds;
        var inserted = 0;

        using var transaction = statements.Connection.BeginTransaction(deferred: false);
        statements.Transaction = transaction;
        for (var i = 0; i < batch.Count; i++)
        {
            var request = (ApplyRequest)batch[i];
            if (!statements.InsertSeen(request.Id, expiresAt))
            {
                outcomes[i] = ApplyOutcome.Duplicate;
                continue;
            }

            try
            {
                var plan = PlanFor(request.Key, plans, newKeyIds);
                plan.Add(request.Feedback, _book.MaxClasses);
            }
            catch (InvalidFeedbackException e)
            {
                statements.DeleteSeen(request.Id);
                outcomes[i] = e;
                continue;
            }

            var keyId = KeyIdFor(request.Key, newKeyIds);
            foreach (var row in request.Feedback.Rows)
            {
                var cell = (keyId, row.Truth.DisplayName, row.Predicted.DisplayName);
                cells[cell] = cells.GetValueOrDefault(cell) + 1;
            }

            outcomes[i] = ApplyOutcome.Applied;
            inserted++;
        }

        foreach (var ((keyId, truth, predicted), count) in cells)
        {
            statements.AddToCell(keyId, truth, predicted, count);
        }

        foreach (var (key, plan) in plans)
        {
            var keyId = KeyIdFor(key, newKeyIds);
            for (var ordinal = plan.InitialCount; ordinal < plan.Names.Count; ordinal++)
            {
                statements.InsertClass(keyId, ordinal, plan.Names[ordinal]);
            }
        }

        transaction.Commit();
        statements.Transaction = null;

        // Committed: now, and only now, the read model and the senders learn of it.
        foreach (var (key, id) in newKeyIds)
        {
            _keyIds[key] = id;
        }

        _rememberedIds += inserted;
        for (var i = 0; i < batch.Count; i++)
        {
            var request = (ApplyRequest)batch[i];
            switch (outcomes[i])
            {
                case ApplyOutcome.Applied:
                    request.Completion.TrySetResult(new ApplyResult(ApplyOutcome.Applied, _book.Apply(request.Key, request.Feedback)));
                    break;
                case ApplyOutcome.Duplicate:
                    request.Completion.TrySetResult(new ApplyResult(ApplyOutcome.Duplicate, null));
                    break;
                case Exception e:
                    request.Completion.TrySetException(e);
                    break;
            }
        }
    }

    /// <summary>The key's class plan for this transaction; a new key is refused past --max_keys (counting keys new in this batch).</summary>
    private ClassPlan PlanFor(MetricKey key, Dictionary<MetricKey, ClassPlan> plans, Dictionary<MetricKey, long> newKeyIds)
    {
        if (plans.TryGetValue(key, out var plan))
        {
            return plan;
        }

        if (_book.TryGet(key, out var aggregate))
        {
            plan = new ClassPlan(aggregate.ClassNames());
        }
        else
        {
            if (!_keyIds.ContainsKey(key) && _book.KeyCount + newKeyIds.Count >= _book.MaxKeys)
            {
                throw new InvalidFeedbackException(
                    RejectionKind.LimitExceeded,
                    $"The server already keeps figures for {_book.KeyCount + newKeyIds.Count} models; at most {_book.MaxKeys} are kept (--max_keys). Reset unused ones or raise the limit.");
            }

            plan = new ClassPlan([]);
        }

        plans[key] = plan;
        return plan;
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

    /// <summary>Forgets expired ids, and the oldest ones past --dedupe_max_ids; at most once a minute unless over the maximum.</summary>
    private void PruneIfDue()
    {
        var now = Now;
        if (_rememberedIds <= _options.DedupeMaxIds && now - _lastPrune < PruneInterval.TotalMilliseconds)
        {
            return;
        }

        _lastPrune = now;
        var connection = _statements!.Connection;
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText =
            "DELETE FROM seen_events WHERE expires_at <= $now;" +
            "DELETE FROM seen_events WHERE expires_at <= (SELECT expires_at FROM seen_events ORDER BY expires_at DESC LIMIT 1 OFFSET $max);" +
            "SELECT count(*) FROM seen_events;";
        command.Parameters.AddWithValue("$now", now);
        command.Parameters.AddWithValue("$max", _options.DedupeMaxIds);
        _rememberedIds = (long)command.ExecuteScalar()!;
        transaction.Commit();
    }
}
