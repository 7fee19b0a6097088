using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// The last N observations of a key, exactly: a ring indexed by the observations' sequence numbers holding each row's
/// classes, probability terms and rank codes, with running sums, so adding, evicting and taking back a row are O(1);
/// the rank histograms are built from the ring when the window is read. The window is
/// the sequences (newest − N, newest]; a row taken back (a relabel) leaves its sequence empty until it is added again.
/// The ring grows by doubling up to N, so a key with few rows costs little. Not thread-safe: its owner locks.
/// </summary>
public sealed class CountWindow
{
    private readonly int _size;
    private CellCounts _cells;
    private ProbabilitySums? _sums;
    private Entry[] _ring = [];
    private long _base;
    private long _newest = long.MinValue;

    public CountWindow(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _size = size;
    }

    /// <summary>N: how many of the latest sequences the window covers.</summary>
    public int Size => _size;

    /// <summary>Rows in the window now.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the row of sequence <paramref name="sequence"/>; false when it is older than the window.</summary>
    public bool Add(in WindowRow row, long sequence)
    {
        if (_newest == long.MinValue)
        {
            _base = sequence;
            _newest = sequence;
        }
        else if (sequence <= _newest - _size)
        {
            return false;
        }
        else if (sequence > _newest)
        {
            Advance(sequence);
        }

        var slot = EnsureSlot(sequence);
        ref var entry = ref _ring[slot];
        if (entry.Occupied)
        {
            throw new InvalidOperationException($"Sequence {sequence} is already in the window; take it back before adding it again.");
        }

        entry = Entry.Of(row);
        _cells.Add(row.Truth, row.Predicted, 1);
        Count++;
        if (row.Probability is { } scored)
        {
            // Allocated on the first scored row: keys without probability vectors do not pay for the bins.
            (_sums ??= new ProbabilitySums(rankBudget: 0)).Add(scored);
        }

        return true;
    }

    /// <summary>
    /// Moves the window on to end at <paramref name="sequence"/> without a row there (a segment's window following its
    /// model's rows); true when rows left it.
    /// </summary>
    public bool AdvanceTo(long sequence)
    {
        if (_newest == long.MinValue || sequence <= _newest)
        {
            return false;
        }

        var before = Count;
        Advance(sequence);
        return Count != before;
    }

    /// <summary>
    /// Takes back the row of a sequence (the first half of a relabel); false when it has left the window or is not
    /// in it. <paramref name="row"/> must be the row that was added: the window checks its classes.
    /// </summary>
    public bool Remove(in WindowRow row, long sequence)
    {
        if (_newest == long.MinValue || sequence > _newest || sequence <= _newest - _size || !TrySlot(sequence, out var slot))
        {
            return false;
        }

        ref var entry = ref _ring[slot];
        if (!entry.Occupied)
        {
            return false;
        }

        if (entry.Truth != row.Truth || entry.Predicted != row.Predicted || entry.Scored != row.Probability.HasValue)
        {
            throw new ArgumentException($"Sequence {sequence} holds ({entry.Truth}, {entry.Predicted}), not the row ({row.Truth}, {row.Predicted}) being taken back.", nameof(row));
        }

        Evict(ref entry);
        return true;
    }

    /// <summary>A copy of the window's counts over <paramref name="classes"/> classes.</summary>
    public WindowCounts Read(int classes)
    {
        var matrix = new long[classes * classes];
        _cells.AddTo(matrix, classes);
        return new WindowCounts(classes, matrix, Count, _sums?.CopyWithRanks(Ranks()) ?? new ProbabilitySums());
    }

    /// <summary>The rows in the window, in sequence order, and a copy of its sums, exactly as held (a snapshot keeps them).</summary>
    public (List<(long Sequence, WindowRow Row)> Rows, ProbabilitySums? Sums) Export()
    {
        var rows = new List<(long, WindowRow)>((int)Count);
        if (_newest == long.MinValue)
        {
            return (rows, null);
        }

        var k = _sums?.TopK ?? 0;
        for (var sequence = Math.Max(_newest - _size + 1, _base); sequence <= _newest; sequence++)
        {
            if (TrySlot(sequence, out var slot) && _ring[slot] is { Occupied: true } entry)
            {
                rows.Add((sequence, new WindowRow(entry.Truth, entry.Predicted, entry.Scored ? entry.ToScoredRow(k) : null)));
            }
        }

        return (rows, _sums?.Copy());
    }

    /// <summary>Puts back what <see cref="Export"/> gave, into an empty window: the same rows and the very same sums.</summary>
    public void Restore(IReadOnlyList<(long Sequence, WindowRow Row)> rows, ProbabilitySums? sums)
    {
        if (!TryPlace(rows))
        {
            foreach (var (sequence, row) in rows)
            {
                Add(row, sequence);
            }
        }

        _sums = null;
        if (sums is not null)
        {
            // The very sums, doubles included; their ranks come from the rows when read.
            _sums = new ProbabilitySums(rankBudget: 0);
            _sums.Add(sums);
        }
    }

    /// <summary>
    /// Puts rows as <see cref="Export"/> gives them (ascending sequences, all within one window) straight into an empty
    /// ring of the length adding them one by one would have grown it to, each at the slot <see cref="Add"/> would give it,
    /// without the running sums that <see cref="Restore"/> replaces anyway. False, having done nothing, for other rows.
    /// </summary>
    private bool TryPlace(IReadOnlyList<(long Sequence, WindowRow Row)> rows)
    {
        if (rows.Count == 0 || _newest != long.MinValue || rows[^1].Sequence - rows[0].Sequence >= _size)
        {
            return rows.Count == 0;
        }

        var first = rows[0].Sequence;
        var length = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var offset = rows[i].Sequence - first;
            if (i > 0 && offset <= rows[i - 1].Sequence - first)
            {
                return false;
            }

            // EnsureSlot's growth: no offset here reaches N, so every slot is the row's offset from the first.
            length = offset < length ? length : (int)Math.Min(_size, Math.Max(Math.Max(8, length * 2L), offset + 1));
        }

        _ring = new Entry[length];
        _base = first;
        _newest = rows[^1].Sequence;
        foreach (var (sequence, row) in rows)
        {
            _ring[sequence - first] = Entry.Of(row);
            _cells.Add(row.Truth, row.Predicted, 1);
        }

        Count = rows.Count;
        return true;
    }

    /// <summary>
    /// The threshold-free sums of the rows in the window, built when read from the codes the ring keeps (kept running,
    /// an ordered histogram would move its bins on every row that comes and goes).
    /// </summary>
    private RankSums? Ranks()
    {
        if (_sums is not { Count: > 0 })
        {
            return null;
        }

        var rows = new List<RankCodes>((int)Count);
        for (var sequence = Math.Max(_newest - _size + 1, _base); sequence <= _newest; sequence++)
        {
            if (TrySlot(sequence, out var slot) && _ring[slot] is { Occupied: true, Scored: true } entry)
            {
                rows.Add(entry.Ranks);
            }
        }

        return RankSums.FromRows(rows, RankHistogram.DefaultBudget);
    }

    /// <summary>Moves the newest sequence forward, evicting the sequences that fall out of the window.</summary>
    private void Advance(long sequence)
    {
        if (sequence - _newest >= _size)
        {
            for (var i = 0; i < _ring.Length; i++)
            {
                if (_ring[i].Occupied)
                {
                    Evict(ref _ring[i]);
                }
            }
        }
        else
        {
            for (var s = _newest - _size + 1; s <= sequence - _size; s++)
            {
                if (TrySlot(s, out var slot) && _ring[slot].Occupied)
                {
                    Evict(ref _ring[slot]);
                }
            }
        }

        var crossed = Math.DivRem(sequence, _size).Quotient != Math.DivRem(_newest, _size).Quotient;
        _newest = sequence;

        // Adding and subtracting doubles leaves rounding residue; summing the window afresh, in sequence order, once
        // per N rows bounds it at O(1) amortised cost.
        if (crossed)
        {
            Resum();
        }
    }

    private void Evict(ref Entry entry)
    {
        _cells.Add(entry.Truth, entry.Predicted, -1);
        Count--;
        if (entry.Scored)
        {
            _sums!.Remove(entry.ToScoredRow(_sums.TopK));
        }

        entry = default;
    }

    private void Resum()
    {
        if (_sums is not { Count: > 0 })
        {
            return;
        }

        var k = _sums.TopK;
        _sums.Clear();
        for (var sequence = Math.Max(_newest - _size + 1, _base); sequence <= _newest; sequence++)
        {
            if (TrySlot(sequence, out var slot) && _ring[slot] is { Occupied: true, Scored: true } entry)
            {
                _sums.Add(entry.ToScoredRow(k));
            }
        }
    }

    /// <summary>The slot of a sequence if the ring has one for it yet.</summary>
    private bool TrySlot(long sequence, out int slot)
    {
        var offset = sequence - _base;
        if (_ring.Length == _size)
        {
            slot = (int)(((offset % _size) + _size) % _size);
            return true;
        }

        slot = (int)offset;
        return offset >= 0 && offset < _ring.Length;
    }

    /// <summary>
    /// The slot of a sequence in the window, growing the ring if needed. While the ring is shorter than N no sequence
    /// has wrapped (offset from the first sequence below its length), so growing keeps every row where it is.
    /// </summary>
    private int EnsureSlot(long sequence)
    {
        if (TrySlot(sequence, out var slot))
        {
            return slot;
        }

        var offset = sequence - _base;
        var length = offset < 0 ? _size : (int)Math.Min(_size, Math.Max(Math.Max(8, _ring.Length * 2L), offset + 1));
        Array.Resize(ref _ring, length);
        TrySlot(sequence, out slot);
        return slot;
    }

    /// <summary>
    /// One row of the ring (72 bytes): classes, the probability terms, flags and the rank codes (a row of more than three
    /// classes holds its codes in an array of its own, 24 + 4 × classes bytes rounded up to 8).
    /// </summary>
    private struct Entry
    {
        public int Truth;
        public int Predicted;
        public double LogLoss;
        public double Brier;
        public double Confidence;
        public RankCodes Ranks;
        public byte Flags;

        private const byte IsOccupied = 1;
        private const byte IsScored = 2;
        private const byte IsCorrect = 4;
        private const byte IsTopKHit = 8;

        public readonly bool Occupied => (Flags & IsOccupied) != 0;

        public readonly bool Scored => (Flags & IsScored) != 0;

        public static Entry Of(in WindowRow row)
        {
            var entry = new Entry { Truth = row.Truth, Predicted = row.Predicted, Flags = IsOccupied };
            if (row.Probability is { } p)
            {
                entry.LogLoss = p.LogLoss;
                entry.Brier = p.Brier;
                entry.Confidence = p.Confidence;
                entry.Ranks = p.Ranks;
                entry.Flags |= (byte)(IsScored | (p.Correct ? IsCorrect : 0) | (p.TopKHit ? IsTopKHit : 0));
            }

            return entry;
        }

        public readonly ScoredRow ToScoredRow(int k) =>
            new(LogLoss, Brier, Confidence, (Flags & IsCorrect) != 0, (Flags & IsTopKHit) != 0, k, Ranks);
    }
}
