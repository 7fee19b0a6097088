using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using Prometheus;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// Projects the read model onto Prometheus series just before each scrape: keys whose version moved are
/// re-exported, keys that were reset lose their series. Ingest never touches Prometheus objects.
/// </summary>
public sealed class DomainMetricsExporter
{
    private readonly Lock _lock = new();
    private readonly MetricsBook _book;
    private readonly DomainSeries _series;
    private readonly Gauge _keys;
    private readonly Gauge _ready;
    private readonly Hosting.Readiness _readiness;
    private readonly Dictionary<MetricKey, KeySeries> _exported = [];

    public DomainMetricsExporter(CollectorRegistry registry, IMetricFactory factory, MetricsBook book, Hosting.Readiness readiness, bool binary, string method)
    {
        _book = book;
        _readiness = readiness;
        _ready = factory.CreateGauge(MetricNames.Prefix + "ready", "1 when state is loaded and storage is writable (the server takes events), else 0.");
        _series = new DomainSeries(factory, binary, method);
        _keys = factory.CreateGauge(MetricNames.Prefix + "keys", "Models (namespace, deployment, predictor, model) with figures.");
        registry.AddBeforeCollectCallback(Sync);
    }

    public void Sync()
    {
        lock (_lock)
        {
            var seen = new HashSet<MetricKey>();
            foreach (var aggregate in _book.Aggregates)
            {
                seen.Add(aggregate.Key);
                if (_exported.TryGetValue(aggregate.Key, out var series) && !ReferenceEquals(series.Aggregate, aggregate))
                {
                    // The key was reset and has counted again since: its counters restart from zero.
                    series.Remove(_series);
                    series = null;
                }

                if (series is null)
                {
                    series = new KeySeries(aggregate, [aggregate.Key.Namespace, aggregate.Key.Deployment, aggregate.Key.Predictor, aggregate.Key.Model]);
                    _exported[aggregate.Key] = series;
                }

                if (series.ExportedVersion != aggregate.Version)
                {
                    series.Update(aggregate.Snapshot(), _series);
                }
            }

            foreach (var key in _exported.Keys.Where(k => !seen.Contains(k)).ToList())
            {
                _exported[key].Remove(_series);
                _exported.Remove(key);
            }

            _keys.Set(_exported.Count);
            _ready.Set(_readiness.NotReadyReason is null ? 1 : 0);
        }
    }
}
