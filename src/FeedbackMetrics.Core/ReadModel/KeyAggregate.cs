using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Statistics;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.ReadModel;

/// <summary>
/// The running figures of one key: its cumulative confusion matrix, the probability sums of rows whose response
/// carried a distribution, the reward sums, and its windows (<c>--windows</c>). Thread-safe: every call takes the
/// key's own lock; figures are computed from copies outside it. A model's segments (<c>--segment_by</c>) are keys of the
/// same kind held by it, one per segment value: each shares the model's classes (in the model's order) and its rows'
/// places in the windows, so a count window of a segment holds that segment's rows among the model's last N.
/// </summary>
public sealed class KeyAggregate
{
    private readonly Lock _lock = new();
    private KeyView? _view;
    private DateTimeOffset _viewUntil;
    private readonly ClassSet _classes = new();
    private readonly ConfusionMatrix _matrix = new();
    private ConfusionMatrix? _relabelled;
    private readonly ProbabilitySums _probabilities = new();
    private readonly TimeProvider _time;
    private readonly WindowSet _windows;
    private long _count;
    private long _version;
    private double _rewardTotal;
    private long _rewardEvents;
    private int _topK;
    private SortedDictionary<SegmentValue, KeyAggregate>? _segments;

    public KeyAggregate(MetricKey key, IReadOnlyList<WindowSpec> windows, TimeProvider time)
    {
        Key = key;
        _time = time;
        _windows = new WindowSet(windows, time);
    }

    public MetricKey Key { get; }

    /// <summary>Grows on every change: a reader holding figures of this version holds the figures of now.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>
    /// Counts the feedback's rows (the Redis store's own planning; the engine counts with <see cref="Count"/>). Each row
    /// gets a <see cref="RowStamp"/> in the key's windows; when <paramref name="counted"/> is given, every row is added to
    /// it as windows keep it.
    /// </summary>
    public KeySnapshot Apply(DecodedFeedback feedback, int maxClasses, List<CountedRow>? counted = null)
    {
        lock (_lock)
        {
            _classes.CheckCapacity(feedback, maxClasses);
            _classes.Register(feedback);
            _matrix.Grow(_classes.Count);
            var rows = feedback.Rows;
            for (var i = 0; i < rows.Length; i++)
            {
                var truth = _classes.PositionOf(rows[i].Truth);
                var predicted = _classes.PositionOf(rows[i].Predicted);
                _matrix.Add(truth, predicted, 1);
                var row = new WindowRow(truth, predicted, ScoreLocked(feedback.Scores, i, rows[i].Truth));
                if (row.Probability is { } scored)
                {
                    _probabilities.Add(scored);
                }

                var stamp = _windows.Add(row);
                counted?.Add(new CountedRow(stamp, row));
            }

            _count += rows.Length;
            if (feedback.Reward is { } reward)
            {
                _rewardTotal += reward;
                _rewardEvents++;
            }

            _version++;
            return SnapshotLocked();
        }
    }

    /// <summary>
    /// Counts rows as the engine decided them (<c>RowsCounted</c>): registers <paramref name="newClasses"/> in order,
    /// then adds each row to the matrix, the probability sums and the windows at its stamp.
    /// </summary>
    public void Count(IReadOnlyList<string> newClasses, ReadOnlySpan<CountedRow> rows, double? reward, IReadOnlyList<SegmentValue>? segments = null)
    {
        lock (_lock)
        {
            RegisterLocked(newClasses);
            foreach (var segment in segments ?? [])
            {
                SegmentLocked(segment).Count(NewTo(segment), rows, reward);
            }

            foreach (var (stamp, row) in rows)
            {
                _matrix.Add(row.Truth, row.Predicted, 1);
                if (row.Probability is { } scored)
                {
                    _probabilities.Add(scored);
                    _topK = _topK == 0 ? scored.TopK : _topK;
                }

                _windows.Add(row, stamp);
            }

            _count += rows.Length;
            if (reward is { } r)
            {
                _rewardTotal += r;
                _rewardEvents++;
            }

            FollowLocked();
            _version++;
        }
    }

    /// <summary>
    /// Moves counted rows to their new truth as the engine decided (<c>RowsMoved</c>): in the cumulative matrix, the
    /// probability sums and every window a row is still in, keeping its place; the cell a row leaves is counted in the
    /// relabelled matrix (<see cref="KeySnapshot.Relabelled"/>), so counters never go down.
    /// </summary>
    public void Move(IReadOnlyList<string> newClasses, ReadOnlySpan<RowMove> moves, IReadOnlyList<SegmentValue>? segments = null)
    {
        lock (_lock)
        {
            RegisterLocked(newClasses);
            foreach (var segment in segments ?? [])
            {
                SegmentLocked(segment).Move(NewTo(segment), moves);
            }

            foreach (var move in moves)
            {
                MoveLocked(move);
            }

            FollowLocked();
            _version++;
        }
    }

    /// <summary>
    /// What the engine plans on: the figures now, the k rows are scored with (0: none yet), the next window sequence, the
    /// segment values the model keeps.
    /// </summary>
    public (KeySnapshot Snapshot, int TopK, long NextSequence, SegmentValue[] Segments) PlanningState()
    {
        lock (_lock)
        {
            return (SnapshotLocked(), _topK, _windows.NextSequence, _segments is null ? [] : [.. _segments.Keys]);
        }
    }

    /// <summary>
    /// The model's classes a segment value does not have yet: a value's classes are always the first of the model's, in
    /// its order, so these are the model's past the value's count.
    /// </summary>
    private IReadOnlyList<string> NewTo(SegmentValue segment)
    {
        var known = _segments![segment]._classes.Count;
        return known == _classes.Count ? [] : [.. _classes.Names.Skip(known)];
    }

    /// <summary>
    /// Brings every segment value along with the model, on the write path so that live and replayed state are the same:
    /// the model's new classes (a value's figures are over all of the model's classes) and its newest row (a value's
    /// count windows hold its rows among the model's last N).
    /// </summary>
    private void FollowLocked()
    {
        if (_segments is null)
        {
            return;
        }

        var newest = _windows.NextSequence - 1;
        foreach (var segment in _segments.Values)
        {
            segment.Follow(_classes.Names, newest);
        }
    }

    private void Follow(IReadOnlyList<string> modelClasses, long newest)
    {
        lock (_lock)
        {
            var changed = _windows.AdvanceCountWindows(newest);
            if (_classes.Count < modelClasses.Count)
            {
                RegisterLocked([.. modelClasses.Skip(_classes.Count)]);
                changed = true;
            }

            if (changed)
            {
                _version++;
            }
        }
    }

    /// <summary>The model's figures for one segment value, created (empty, with the model's classes) when new.</summary>
    private KeyAggregate SegmentLocked(SegmentValue segment)
    {
        _segments ??= new SortedDictionary<SegmentValue, KeyAggregate>(Comparer<SegmentValue>.Create(SegmentValue.Compare));
        if (!_segments.TryGetValue(segment, out var aggregate))
        {
            aggregate = new KeyAggregate(Key, _windows.Specs, _time);
            _segments.Add(segment, aggregate);
        }

        return aggregate;
    }

    /// <summary>Everything the key holds, exactly, for a snapshot.</summary>
    public ModelImage Export()
    {
        lock (_lock)
        {
            _relabelled?.Grow(_matrix.Size);
            return new ModelImage(Key, [.. _classes.Names], _matrix.ToArray(), _relabelled?.ToArray(), _count, _rewardTotal, _rewardEvents, _probabilities.Copy(), _topK, _windows.Export())
            {
                Segments = _segments is null ? [] : [.. _segments.Select(s => (s.Key, s.Value.Export()))],
            };
        }
    }

    /// <summary>Puts back what <see cref="Export"/> gave, into a new key.</summary>
    public void Restore(ModelImage image)
    {
        lock (_lock)
        {
            RegisterLocked(image.Classes);
            var n = image.Classes.Length;
            for (var t = 0; t < n; t++)
            {
                for (var p = 0; p < n; p++)
                {
                    _matrix.Add(t, p, image.Matrix[(t * n) + p]);
                    if (image.Relabelled is { } moved && moved[(t * n) + p] != 0)
                    {
                        _relabelled ??= new ConfusionMatrix();
                        _relabelled.Grow(n);
                        _relabelled.Add(t, p, moved[(t * n) + p]);
                    }
                }
            }

            _count = image.Count;
            _rewardTotal = image.RewardTotal;
            _rewardEvents = image.RewardEvents;
            _probabilities.Clear();
            _probabilities.Add(image.Probabilities);
            _topK = image.TopK;
            _windows.Restore(image.Windows);
            foreach (var (segment, segmentImage) in image.Segments)
            {
                SegmentLocked(segment).Restore(segmentImage);
            }

            _version++;
        }
    }

    /// <summary>One row to its new truth, in the matrix, the relabelled cells, the probability sums and the windows.</summary>
    private void MoveLocked(RowMove move)
    {
        var (stamp, from, to) = move;
        _matrix.Add(from.Truth, from.Predicted, -1);
        _matrix.Add(to.Truth, to.Predicted, 1);
        if (from.Truth != to.Truth)
        {
            _relabelled ??= new ConfusionMatrix();
            _relabelled.Grow(_classes.Count);
            _relabelled.Add(from.Truth, from.Predicted, 1);
        }

        if (from.Probability is { } before)
        {
            _probabilities.Remove(before);
        }

        if (to.Probability is { } after)
        {
            _probabilities.Add(after);
            _topK = _topK == 0 ? after.TopK : _topK;
        }

        _windows.Relabel(stamp, from, to);
    }

    private void RegisterLocked(IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            _classes.PositionOf(ClassLabel.OfName(name));
        }

        _matrix.Grow(_classes.Count);
    }

    /// <summary>
    /// Moves one counted row to a new truth (a second truth for the same request): in the cumulative matrix, the
    /// probability sums (the row is scored again against the new truth from <paramref name="scores"/>) and every
    /// window the row is still in, keeping its place. Returns the row as now counted.
    /// </summary>
    /// <remarks>
    /// The cell the row leaves is counted in the relabelled matrix (<see cref="KeySnapshot.Relabelled"/>), so counters
    /// never go down.
    /// </remarks>
    public CountedRow Relabel(CountedRow counted, ClassLabel truth, ScoreRows? scores, int scoreRow, int maxClasses)
    {
        lock (_lock)
        {
            _classes.CheckCapacity(new DecodedFeedback([new Observation(truth, truth)], 0), maxClasses);
            var old = counted.Row;
            var position = _classes.PositionOf(truth);
            _matrix.Grow(_classes.Count);
            var updated = new WindowRow(position, old.Predicted, ScoreLocked(scores, scoreRow, truth));
            MoveLocked(new RowMove(counted.Stamp, old, updated));
            _version++;
            return counted with { Row = updated };
        }
    }

    /// <summary>The k this key scores top-k hits with; 0 until a row was scored.</summary>
    public int TopK
    {
        get
        {
            lock (_lock)
            {
                return _topK;
            }
        }
    }

    /// <summary>The class names in matrix order.</summary>
    public string[] ClassNames()
    {
        lock (_lock)
        {
            return [.. _classes.Names];
        }
    }

    public KeySnapshot Snapshot()
    {
        lock (_lock)
        {
            return SnapshotLocked();
        }
    }

    /// <summary>The snapshot with copies of what its windows and probability sums hold now: what figure sets are made of.</summary>
    /// <remarks>
    /// Kept while it holds: until the key changes or a time window's next bucket boundary passes (a time window's figures
    /// move with the clock), so readers that ask again — a scrape, the JSON view, the alerts — share one view and the
    /// figures it computes once.
    /// </remarks>
    public KeyView View()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (_view is { } kept && kept.Snapshot.Version == _version && now < _viewUntil)
            {
                return kept;
            }

            var snapshot = SnapshotLocked();
            _view = new KeyView(snapshot, _windows.Specs, _windows.Read(snapshot.Classes.Length), _probabilities.Copy())
            {
                Segments = _segments is null ? [] : [.. _segments.Select(s => new SegmentView(s.Key, s.Value.View()))],
            };
            _viewUntil = NextBoundary(now);
            return _view;
        }
    }

    /// <summary>The next bucket boundary of any time window after <paramref name="now"/>: until then the windows stand still.</summary>
    private DateTimeOffset NextBoundary(DateTimeOffset now)
    {
        var until = DateTimeOffset.MaxValue;
        foreach (var spec in _windows.Specs)
        {
            if (spec.Kind == WindowKind.Time)
            {
                var width = spec.Span.Ticks / spec.Buckets;
                var next = new DateTimeOffset(((now.UtcTicks / width) + 1) * width, TimeSpan.Zero);
                until = next < until ? next : until;
            }
        }

        return until;
    }

    private KeySnapshot SnapshotLocked()
    {
        _relabelled?.Grow(_matrix.Size);
        return new(Key, [.. _classes.Names], _matrix.ToArray(), _count, _version, _rewardTotal, _rewardEvents, _relabelled?.ToArray());
    }

    /// <summary>
    /// Scores a row whose response carried a probability distribution. A key scores every row with one k: the default
    /// for the width of the first vector it scored (<see cref="TopK.DefaultFor"/>).
    /// </summary>
    private ScoredRow? ScoreLocked(ScoreRows? scores, int row, ClassLabel truth)
    {
        if (scores is null)
        {
            return null;
        }

        var k = _topK == 0 ? Statistics.TopK.DefaultFor(scores.Width) : _topK;
        if (!ScoredRow.TryScore(scores, row, truth, k, out var scored))
        {
            return null;
        }

        _topK = k;
        return scored;
    }
}
