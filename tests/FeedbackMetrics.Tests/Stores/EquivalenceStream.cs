using System.Globalization;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// A random stream of steps for the equivalence test, the same for every store given a seed: time moving on (a few
/// seconds to past the join's TTL), then one request or several sent at once (a group), each of one to six events —
/// full feedback, logged responses and truth-only events over three deployments (class indices with probability
/// vectors, logits or labels; class names), redeliveries, the same event twice in a request, truths whose row count
/// does not match, classes past the cap — and now and then a reset of some keys and a restart, graceful or as after a
/// crash. Events carry segment values (a region of five, past the cap of two values; a tier of two, the literal other
/// now and then), some none, from a random source of their own so the rest of the stream is as it was.
/// </summary>
internal sealed class EquivalenceStream(int seed)
{
    public const string FeedbackType = "io.seldon.serving.feedback";
    public const string ResponseType = "org.kubeflow.serving.inference.response";
    public const int RequestIds = 10;

    /// <summary>Two deployments of class indices (one name in two namespaces, whose request ids must not meet) and one of class names.</summary>
    private static readonly (string Namespace, string Deployment, bool Named, double Weight)[] Deployments =
        [("ns-a", "iris", false, 0.45), ("ns-a", "pets", true, 0.25), ("ns-b", "iris", false, 0.30)];

    private static readonly string[] Names = ["cat", "dog", "owl", "fox"];
    private static readonly double?[] Rewards = [null, null, null, 0.5, 1, 1.5, 2];

    private static readonly string[] Regions = ["eu", "us", "asia", "af", "sa"];

    private readonly Random _random = new(seed);
    private readonly Random _segments = new(seed + 7919);
    private readonly List<IngestEvent> _sent = [];
    private readonly Dictionary<(int Deployment, int RequestId), DecodedTruth> _lastTruth = [];
    private int _nextId;

    public EquivalenceStep Next()
    {
        var r = _random.NextDouble();
        var advance = r switch
        {
            < 0.15 => TimeSpan.Zero,
            < 0.75 => TimeSpan.FromMilliseconds(_random.Next(1_000, 20_000)),
            < 0.95 => TimeSpan.FromMilliseconds(_random.Next(20_000, 180_000)),
            _ => TimeSpan.FromMilliseconds(_random.Next(300_000, 720_000)),
        };
        var requests = Enumerable.Range(0, _random.NextDouble() < 0.8 ? 1 : _random.Next(2, 5)).Select(_ => Request()).ToArray();
        MetricKey[] reset = _random.NextDouble() < 0.015 ? [.. Enumerable.Range(0, _random.Next(1, 3)).Select(_ => ModelKey(Deployment()))] : [];
        var restart = _random.NextDouble() switch
        {
            < 0.02 => Restart.Graceful,
            < 0.04 => Restart.Crash,
            _ => Restart.None,
        };
        return new EquivalenceStep(advance, requests, reset, restart);
    }

    private IReadOnlyList<IngestEvent> Request()
    {
        var size = _random.NextDouble() switch
        {
            < 0.55 => 1,
            < 0.75 => 2,
            < 0.90 => 3,
            _ => _random.Next(4, 7),
        };
        var events = new List<IngestEvent>(size);
        for (var i = 0; i < size; i++)
        {
            var d = Deployment();
            events.Add(_random.NextDouble() switch
            {
                < 0.05 when _sent.Count > 0 => _sent[_random.Next(Math.Max(0, _sent.Count - 30), _sent.Count)],
                < 0.08 when _sent.Count > 0 => _sent[_random.Next(_sent.Count)],
                < 0.11 when events.Count > 0 => events[_random.Next(events.Count)],
                < 0.36 => Feedback(d),
                < 0.68 => Response(d),
                _ => Truth(d),
            });
        }

        _sent.AddRange(events);
        return events;
    }

    private CountedFeedback Feedback(int d)
    {
        var rows = _random.Next(1, 4);
        var predicted = Predictions(d, rows, out var width, out var scores);
        var truth = Truths(d, rows);
        var feedback = new DecodedFeedback([.. truth.Select((t, i) => new Observation(t, predicted[i]))], width, Rewards[_random.Next(Rewards.Length)], scores);
        return new CountedFeedback(NewId(FeedbackType), ModelKey(d), feedback, ReplyContext.None) { Segments = Segments() };
    }

    private LoggedResponse Response(int d)
    {
        var requestId = _random.Next(RequestIds);
        var predicted = Predictions(d, RowsOf(requestId), out var width, out var scores);
        var id = NewId(ResponseType);

        // KServe gives a request and its response one id: an id already used by another type is not a repeat.
        if (_random.NextDouble() < 0.05 && _sent.Count > 0 && _sent[_random.Next(_sent.Count)].Id is { Type: FeedbackType } other)
        {
            id = other with { Type = ResponseType };
        }

        return new LoggedResponse(id, ModelKey(d), $"r{requestId}", new DecodedResponse(predicted, width, scores), ReplyContext.None) { Segments = Segments() };
    }

    private TruthOnly Truth(int d)
    {
        var requestId = _random.Next(RequestIds);
        var rows = RowsOf(requestId);
        if (_random.NextDouble() < 0.05)
        {
            rows = rows == 1 || _random.Next(2) == 0 ? rows + 1 : rows - 1;
        }

        // A relabel needs a different truth for a request already joined; the same truth again changes nothing.
        var truth = _lastTruth.TryGetValue((d, requestId), out var last) && last.Rows.Length == rows && _random.NextDouble() < 0.3
            ? last
            : new DecodedTruth(Truths(d, rows), 0);
        _lastTruth[(d, requestId)] = truth;
        var (ns, deployment, _, _) = Deployments[d];
        return new TruthOnly(NewId(FeedbackType), new MetricKey(ns, deployment, "unknown", "unknown"), $"r{requestId}", truth, Rewards[_random.Next(Rewards.Length)], ReplyContext.None) { Segments = Segments() };
    }

    /// <summary>An event's segment values, in the configured order (region, then tags.tier), each present or not.</summary>
    private SegmentValue[] Segments()
    {
        var values = new List<SegmentValue>(2);
        if (_segments.NextDouble() < 0.7)
        {
            values.Add(new SegmentValue("region", Regions[_segments.Next(Regions.Length)]));
        }

        if (_segments.NextDouble() < 0.5)
        {
            values.Add(new SegmentValue("tags.tier", _segments.NextDouble() < 0.1 ? SegmentValue.Other : _segments.Next(2) == 0 ? "gold" : "free"));
        }

        return [.. values];
    }

    /// <summary>Predicted classes, with the score vectors a model server sends: distributions, logits (not one), labels only, or a vector too wide for the class cap.</summary>
    private ClassLabel[] Predictions(int d, int rows, out int width, out ScoreRows? scores)
    {
        (width, scores) = (0, null);
        if (Deployments[d].Named)
        {
            return [.. Enumerable.Range(0, rows).Select(_ => Name())];
        }

        var mode = _random.NextDouble();
        if (mode >= 0.67 && mode < 0.95)
        {
            return [.. Enumerable.Range(0, rows).Select(_ => ClassLabel.OfIndex(_random.NextDouble() < 0.9 ? _random.Next(3) : 3))];
        }

        width = mode < 0.95 ? 3 : 5;
        var values = new double[rows * width];
        var labels = new ClassLabel[rows];
        for (var row = 0; row < rows; row++)
        {
            var top = _random.Next(width);
            labels[row] = ClassLabel.OfIndex(top);
            for (var j = 0; j < width; j++)
            {
                values[(row * width) + j] = (mode < 0.55, width == 3, j == top) switch
                {
                    (true, _, true) => 0.5,
                    (true, _, false) => 0.25,
                    (false, true, true) => 1.5,
                    (false, true, false) => -1 + (0.1 * j),
                    (_, false, true) => 0.6,
                    (_, false, false) => 0.1,
                };
            }
        }

        scores = new ScoreRows(values, width);
        return labels;
    }

    private ClassLabel[] Truths(int d, int rows) =>
        [.. Enumerable.Range(0, rows).Select(_ => Deployments[d].Named ? Name() : ClassLabel.OfIndex(_random.NextDouble() < 0.98 ? _random.Next(4) : 4))];

    /// <summary>Four names fit the class cap; a fifth comes now and then.</summary>
    private ClassLabel Name() => ClassLabel.OfName(_random.NextDouble() < 0.03 ? "yak" : Names[_random.Next(Names.Length)]);

    private int Deployment()
    {
        var r = _random.NextDouble();
        for (var d = 0; d < Deployments.Length - 1; d++)
        {
            r -= Deployments[d].Weight;
            if (r < 0)
            {
                return d;
            }
        }

        return Deployments.Length - 1;
    }

    /// <summary>Two predictors per deployment: six keys in all, more than the key cap.</summary>
    private MetricKey ModelKey(int d) => new(Deployments[d].Namespace, Deployments[d].Deployment, _random.NextDouble() < 0.7 ? "p1" : "p2", "m");

    /// <summary>Every response of a request id has the same rows; its truths mostly too.</summary>
    private static int RowsOf(int requestId) => 1 + (requestId % 3);

    private CloudEventId NewId(string type) =>
        new(_random.NextDouble() < 0.3 ? "http://:8000/" : "src-a", (_nextId++).ToString(CultureInfo.InvariantCulture), type);
}

/// <summary>One step: time moves on, the requests are sent together (one group at most), then some keys may be reset and the store restarted.</summary>
internal sealed record EquivalenceStep(TimeSpan Advance, IReadOnlyList<IReadOnlyList<IngestEvent>> Requests, IReadOnlyList<MetricKey> Reset, Restart Restart);

/// <summary>How a durable store is restarted after a step.</summary>
internal enum Restart
{
    None,

    /// <summary>Stopped gracefully (a last snapshot, the journal trimmed), then opened again on the same state.</summary>
    Graceful,

    /// <summary>Stopped without the last snapshot, as after a crash: the next start replays the journal after the last one written.</summary>
    Crash,
}
