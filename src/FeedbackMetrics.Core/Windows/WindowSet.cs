using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// The windows of one key (<c>--windows</c>), fed together: every observation gets a <see cref="RowStamp"/> (its
/// sequence number in the key and the time it was counted, from the injected <see cref="TimeProvider"/>), which the
/// owner keeps with the observation so that a relabel can move it in every window, and so that windows can be rebuilt
/// from stored observations at start-up. Not thread-safe: the key's aggregate locks around it.
/// </summary>
public sealed class WindowSet
{
    private readonly TimeProvider _time;
    private readonly CountWindow?[] _counts;
    private readonly TimeWindow?[] _times;

    public WindowSet(IReadOnlyList<WindowSpec> specs, TimeProvider time)
    {
        Specs = specs;
        _time = time;
        _counts = new CountWindow?[specs.Count];
        _times = new TimeWindow?[specs.Count];
        for (var i = 0; i < specs.Count; i++)
        {
            if (specs[i].Kind == WindowKind.Count)
            {
                _counts[i] = new CountWindow(specs[i].Rows);
            }
            else
            {
                _times[i] = new TimeWindow(specs[i].Span, specs[i].Buckets);
            }
        }
    }

    /// <summary>The windows, in the order of <c>--windows</c>; <see cref="Read"/> answers in this order.</summary>
    public IReadOnlyList<WindowSpec> Specs { get; }

    /// <summary>The sequence number the next new observation gets.</summary>
    public long NextSequence { get; private set; }

    /// <summary>Counts a new observation now; returns its stamp, to keep for a later relabel.</summary>
    public RowStamp Add(in WindowRow row)
    {
        var stamp = new RowStamp(NextSequence, _time.GetUtcNow());
        Add(row, stamp);
        return stamp;
    }

    /// <summary>Counts an observation under a stamp it already has, in every window (rebuilding all windows from stored rows, or after <see cref="Remove"/>).</summary>
    public void Add(in WindowRow row, RowStamp stamp)
    {
        NextSequence = Math.Max(NextSequence, stamp.Sequence + 1);
        for (var i = 0; i < Specs.Count; i++)
        {
            _ = _counts[i]?.Add(row, stamp.Sequence) ?? _times[i]!.Add(row, stamp.CountedAt);
        }
    }

    /// <summary>Puts back a stored bucket of the time window named; a window not in <c>--windows</c> any more ignores it.</summary>
    public void RestoreBucket(string window, BucketState state)
    {
        for (var i = 0; i < Specs.Count; i++)
        {
            if (_times[i] is { } time && Specs[i].Name == window)
            {
                time.Restore(state);
            }
        }
    }

    /// <summary>
    /// Moves every count window on to end at <paramref name="newest"/>: a segment's windows hold its rows among its
    /// model's last N, so they move with the model's rows. True when rows left a window.
    /// </summary>
    public bool AdvanceCountWindows(long newest)
    {
        var moved = false;
        foreach (var window in _counts)
        {
            moved |= window?.AdvanceTo(newest) ?? false;
        }

        return moved;
    }

    /// <summary>Every window's contents exactly as held, in <see cref="Specs"/> order (a snapshot keeps them).</summary>
    public List<WindowImage> Export()
    {
        var images = new List<WindowImage>(Specs.Count);
        for (var i = 0; i < Specs.Count; i++)
        {
            if (_counts[i] is { } count)
            {
                var (rows, sums) = count.Export();
                images.Add(new(Specs[i].Name, rows, sums, [], NextSequence));
            }
            else
            {
                images.Add(new(Specs[i].Name, [], null, _times[i]!.States(), NextSequence));
            }
        }

        return images;
    }

    /// <summary>
    /// Puts back what <see cref="Export"/> gave, into empty windows; a window not in <c>--windows</c> any more is left out,
    /// a new one starts empty.
    /// </summary>
    public void Restore(IReadOnlyList<WindowImage> images)
    {
        foreach (var image in images)
        {
            NextSequence = Math.Max(NextSequence, image.NextSequence);
            for (var i = 0; i < Specs.Count; i++)
            {
                if (Specs[i].Name != image.Name)
                {
                    continue;
                }

                _counts[i]?.Restore(image.Rows, image.Sums);
                foreach (var bucket in image.Buckets)
                {
                    _times[i]?.Restore(bucket);
                }
            }
        }
    }

    /// <summary>Takes an observation back from every window it is still in (an applied event whose commit failed).</summary>
    public void Remove(in WindowRow row, RowStamp stamp)
    {
        for (var i = 0; i < Specs.Count; i++)
        {
            _ = RemoveFrom(i, row, stamp);
        }
    }

    /// <summary>
    /// Moves an observation from its old row to its new one (a second truth for the same request) in every window it is
    /// still in, keeping its place: same sequence, same time. Windows it has left stay as they are.
    /// </summary>
    public void Relabel(RowStamp stamp, in WindowRow old, in WindowRow updated)
    {
        for (var i = 0; i < Specs.Count; i++)
        {
            if (RemoveFrom(i, old, stamp))
            {
                _ = _counts[i]?.Add(updated, stamp.Sequence) ?? _times[i]!.Add(updated, stamp.CountedAt);
            }
        }
    }

    /// <summary>What every window holds now, over the key's <paramref name="classes"/> classes, in <see cref="Specs"/> order.</summary>
    public WindowCounts[] Read(int classes)
    {
        var now = _time.GetUtcNow();
        var read = new WindowCounts[Specs.Count];
        for (var i = 0; i < read.Length; i++)
        {
            read[i] = _counts[i]?.Read(classes) ?? _times[i]!.Read(now, classes);
        }

        return read;
    }

    /// <summary>
    /// The figures of windows read by <see cref="Read"/>, keyed by window name in <c>--windows</c> order: meant to be
    /// called outside the key's lock, with the cumulative matrix taken in the same lock as the reading.
    /// </summary>
    public static Dictionary<string, FigureSet> Figures(IReadOnlyList<WindowSpec> specs, WindowCounts[] counts, string[] classes, long[] cumulativeMatrix)
    {
        var figures = new Dictionary<string, FigureSet>(specs.Count, StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            figures[specs[i].Name] = counts[i].ToFigures(classes, cumulativeMatrix);
        }

        return figures;
    }

    private bool RemoveFrom(int i, in WindowRow row, RowStamp stamp) =>
        _counts[i]?.Remove(row, stamp.Sequence) ?? _times[i]!.Remove(row, stamp.CountedAt);
}
