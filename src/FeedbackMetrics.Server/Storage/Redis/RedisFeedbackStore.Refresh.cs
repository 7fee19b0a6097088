using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Server.Diagnostics;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>What runs beside the requests: reading back what other replicas counted, and the exporter lease.</summary>
public sealed partial class RedisFeedbackStore
{
    /// <summary>
    /// Reads every model changed since the read model last read its shared figures (any change, this replica's too:
    /// windows and probability sums are then Redis's, the same on every replica), and forgets those reset; returns how
    /// many ids are remembered.
    /// </summary>
    private async Task<long> RefreshAsync()
    {
        var since = _model.Touches;
        var answer = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Versions, [_names.Models, _names.Ids, _names.Epoch], [_names.ModelPrefix, Guid.NewGuid().ToString("N")]))!;
        var versions = (RedisResult[])answer[0]!;
        var epoch = (string)answer[3]!;
        if (_epoch is not null && epoch != _epoch)
        {
            // Redis lost the state (restarted without its data, or another server was put in its place): what this
            // replica holds belongs to the old one. Forget it and load the new one whole.
            RedisLog.StateLost(_logger, _epoch, epoch);
            _model.Clear();
            ForgetJoinShown();
        }

        _epoch = epoch;
        Interlocked.Exchange(ref _oldestIdExpiry, (long)(double)answer[1]);
        var present = new HashSet<MetricKey>();
        var changed = new List<(MetricKey, string)>();
        for (var i = 0; i + 1 < versions.Length; i += 2)
        {
            var tag = (string)versions[i]!;
            if (RedisKeyNames.Parse(tag) is not { } key)
            {
                continue;
            }

            present.Add(key);
            if ((long)versions[i + 1] != _model.SharedVersionOf(key))
            {
                changed.Add((key, tag));
            }
        }

        foreach (var chunk in changed.Chunk(ReadChunk))
        {
            await ReadModelsAsync(chunk);
        }

        _model.RemoveAbsent(present, since);
        await SweepJoinAsync();
        return (long)answer[2];
    }

    /// <summary>Reads some models' whole state and brings the read model to it.</summary>
    private async Task ReadModelsAsync(IReadOnlyList<(MetricKey Key, string Tag)> models)
    {
        var read = (RedisResult[])(await Db.ScriptEvaluateAsync(RedisScripts.Read, [_names.Models, .. models.SelectMany(m => _names.Of(m.Tag))], [_shared.ReadArgument(_book.Time.GetUtcNow())]))!;
        for (var i = 0; i < models.Count; i++)
        {
            var one = (RedisResult[])read[i]!;
            var state = RedisKeyState.Parse((long)one[0], (RedisResult[])one[3]!, (RedisResult[])one[4]!, (string)one[1]!, (string)one[2]!, (string)one[5]!) with
            {
                Shared = RedisSharedFigures.Parse((RedisResult[])one[6]!, (RedisResult[])one[7]!, (string)one[8]!, (RedisResult[])one[9]!),
            };
            _model.Sync(models[i].Key, state, []);
        }
    }

    private async Task RefreshLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.RedisRefreshInterval, _time, _stopping.Token);
                await RefreshAsync();
                await HoldExporterLeaseAsync();
                await _outbox.MaintainAsync();
                if (_unavailable is not null)
                {
                    _unavailable = null;
                    Log.StorageRecovered(_logger);
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsRedisFault(e))
            {
                // Without Redis this replica cannot know whether another took the lease: it stops exporting, so no
                // model is ever exported twice (a gap in the series is possible; a doubled sum is not).
                Export(false);
                MarkUnavailable(Reason(e));
            }
        }
    }

    /// <summary>
    /// Takes or keeps the lease that makes this replica the one writing the per-model series. The lease lasts three
    /// refresh intervals (at least 5 s): when its holder dies another replica exports within that time.
    /// </summary>
    private async Task HoldExporterLeaseAsync()
    {
        var lease = (long)Math.Max(5000, 3 * _options.RedisRefreshInterval.TotalMilliseconds);
        var held = (long)await Db.ScriptEvaluateAsync(RedisScripts.HoldLease, [_names.Exporter], [_outbox.Consumer, lease]);
        Export(held == 1);
    }

    private void Export(bool exports)
    {
        _gate.Set(exports);
        _exporting.Set(exports ? 1 : 0);
    }
}
