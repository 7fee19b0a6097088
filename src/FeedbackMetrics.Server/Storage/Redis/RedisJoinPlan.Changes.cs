using System.Globalization;
using System.Text;
using System.Text.Json;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>The ledger's changes as the apply script writes them: entries with what a sweep needs beside them, and the sums' deltas.</summary>
internal sealed partial class RedisJoinPlan
{
    /// <summary>Turns the ledger's changes into entry writes (every entry read is checked) and the sums' deltas.</summary>
    private void Changes(JoinChanges changes, Dictionary<JoinScope, JoinScopeState> before)
    {
        var written = changes.Written.ToDictionary(r => RedisKeyNames.EntryId(r.Scope, r.RequestId));
        var deleted = changes.Deleted.Select(d => RedisKeyNames.EntryId(d.Scope, d.RequestId)).ToHashSet();
        var held = new Dictionary<JoinScope, long[]>();
        var pendingRows = new Dictionary<JoinScope, long[]>();
        var pendingConfidence = new Dictionary<JoinScope, double[]>();
        void Count(JoinScope scope, JoinRecord? record, int sign)
        {
            if (record is null)
            {
                return;
            }

            (held.TryGetValue(scope, out var h) ? h : held[scope] = new long[3])[KindIndex(record)] += sign;
            var (rows, confidence) = Pending(record);
            var r = pendingRows.TryGetValue(scope, out var pr) ? pr : pendingRows[scope] = new long[CalibrationBins.Count];
            var c = pendingConfidence.TryGetValue(scope, out var pc) ? pc : pendingConfidence[scope] = new double[CalibrationBins.Count];
            for (var b = 0; b < CalibrationBins.Count; b++)
            {
                r[b] += sign * rows[b];
                c[b] += sign * confidence[b];
            }
        }

        foreach (var (id, version, old) in _read)
        {
            var record = written.GetValueOrDefault(id);
            var delete = deleted.Contains(id);
            if (record is not null || delete)
            {
                _changed++;
                Count(old?.Scope ?? record!.Scope, old, -1);
                Count(record?.Scope ?? old!.Scope, record, +1);
            }

            int? blob = null;
            if (record is not null)
            {
                _blobs.Add(JoinBlob.Write(record));
                blob = _blobs.Count + 1; // ARGV[1] is the JSON
            }

            _entries.Add(json =>
            {
                json.WriteStartObject();
                json.WriteString("k", id);
                json.WriteNumber("v", version);
                if (record is not null)
                {
                    json.WriteNumber("b", blob!.Value);
                    json.WriteString("kind", "rtj"[KindIndex(record)].ToString());
                    json.WriteString("s", RedisKeyNames.Tag(record.Scope));
                    json.WriteString("m", record.Key is { } key && record.Response is not null ? RedisKeyNames.Tag(key) : "");
                    json.WriteString("pr", PendingText(record));
                    json.WriteNumber("t", record.LastChange.ToUnixTimeMilliseconds());
                }
                else if (delete)
                {
                    json.WriteBoolean("del", true);
                }

                json.WriteEndObject();
            });
        }

        foreach (var after in changes.Scopes)
        {
            var (integers, floats) = RedisJoinSums.Delta(
                before[after.Scope],
                after,
                held.GetValueOrDefault(after.Scope) ?? new long[3],
                pendingRows.GetValueOrDefault(after.Scope) ?? new long[CalibrationBins.Count],
                pendingConfidence.GetValueOrDefault(after.Scope) ?? new double[CalibrationBins.Count]);
            _scopes.Add(json =>
            {
                json.WriteStartObject();
                json.WriteString("t", RedisKeyNames.Tag(after.Scope));
                json.WriteStartArray("i");
                foreach (var v in integers)
                {
                    if (v is string s)
                    {
                        json.WriteStringValue(s);
                    }
                    else
                    {
                        json.WriteNumberValue((long)v);
                    }
                }

                json.WriteEndArray();
                Strings(json, "f", floats);
                json.WriteEndObject();
            });
        }
    }

    /// <summary>0 pending response, 1 parked truth, 2 joined.</summary>
    private static int KindIndex(JoinRecord record) => record.Response is null ? 1 : record.Truth is null ? 0 : 2;

    /// <summary>The pending rows of an entry per bin with the sum of their top probabilities (none unless it is a pending response).</summary>
    private static (long[] Rows, double[] Confidence) Pending(JoinRecord record)
    {
        var estimator = new AccuracyEstimator();
        if (record.Response is { } response && record.Truth is null)
        {
            estimator.Pending(response, +1);
        }

        return estimator.PendingSums();
    }

    /// <summary>The pending sums as the sweep reads them: "bin:rows:confidence;" per bin holding rows.</summary>
    private static string PendingText(JoinRecord record)
    {
        var (rows, confidence) = Pending(record);
        var text = new StringBuilder();
        for (var b = 0; b < rows.Length; b++)
        {
            if (rows[b] > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $"{b}:{rows[b]}:{confidence[b]:R};");
            }
        }

        return text.ToString();
    }
}
