namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// A sparse confusion matrix: counts per (true, predicted) cell in an open-addressing table. A window or a time bucket
/// sees at most min(rows, K²) distinct cells, far fewer than K² for many classes, so a dense matrix per bucket would
/// waste most of its memory. Cells that fall back to 0 stay until the next resize drops them, so the table never grows
/// past about twice the cells that are non-zero at once. Not thread-safe.
/// </summary>
internal sealed class CellCounts
{
    private const int InitialCapacity = 8;

    // 0 marks an empty slot; a cell is ((truth + 1) << 32) | predicted, never 0.
    private long[] _keys = [];
    private long[] _counts = [];
    private int _used;
    private int _shift = 64;

    /// <summary>Slots allocated (each 16 bytes).</summary>
    public int Capacity => _keys.Length;

    public long Get(int truth, int predicted)
    {
        if (_used == 0)
        {
            return 0;
        }

        var slot = Find(Key(truth, predicted));
        return slot >= 0 && _keys[slot] != 0 ? _counts[slot] : 0;
    }

    /// <summary>Adds <paramref name="delta"/> (negative to take rows back) to one cell and returns its new count.</summary>
    public long Add(int truth, int predicted, long delta)
    {
        var key = Key(truth, predicted);
        if ((_used + 1) * 4 > _keys.Length * 3)
        {
            Resize();
        }

        var slot = Find(key);
        if (_keys[slot] == 0)
        {
            _keys[slot] = key;
            _used++;
        }

        return _counts[slot] += delta;
    }

    /// <summary>Adds every cell into a dense row-major <paramref name="size"/>×<paramref name="size"/> matrix.</summary>
    public void AddTo(long[] dense, int size)
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] != 0 && _counts[i] != 0)
            {
                var truth = (int)(_keys[i] >> 32) - 1;
                var predicted = (int)(uint)_keys[i];
                if (truth >= size || predicted >= size)
                {
                    throw new ArgumentOutOfRangeException(nameof(size), size, $"The window holds class position {Math.Max(truth, predicted)}; read it with all of the key's classes.");
                }

                dense[(truth * size) + predicted] += _counts[i];
            }
        }
    }

    /// <summary>Empties the table and keeps its memory, for a bucket that is reused.</summary>
    public void Clear()
    {
        if (_used > 0)
        {
            Array.Clear(_keys);
            Array.Clear(_counts);
            _used = 0;
        }
    }

    private static long Key(int truth, int predicted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(truth);
        ArgumentOutOfRangeException.ThrowIfNegative(predicted);
        return ((long)(truth + 1) << 32) | (uint)predicted;
    }

    /// <summary>The slot holding the key, or the empty slot where it belongs (Fibonacci hashing, linear probing).</summary>
    private int Find(long key)
    {
        var mask = _keys.Length - 1;
        var slot = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> _shift);
        while (_keys[slot] != 0 && _keys[slot] != key)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    private void Resize()
    {
        var live = 0;
        for (var i = 0; i < _keys.Length; i++)
        {
            live += _keys[i] != 0 && _counts[i] != 0 ? 1 : 0;
        }

        // Dropping the zero cells may be enough; otherwise double.
        var capacity = Math.Max(InitialCapacity, _keys.Length);
        while ((live + 1) * 4 > capacity * 3)
        {
            capacity *= 2;
        }

        var (keys, counts) = (_keys, _counts);
        _keys = new long[capacity];
        _counts = new long[capacity];
        _shift = 64 - int.Log2(capacity);
        _used = 0;
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] != 0 && counts[i] != 0)
            {
                var slot = Find(keys[i]);
                _keys[slot] = keys[i];
                _counts[slot] = counts[i];
                _used++;
            }
        }
    }
}
