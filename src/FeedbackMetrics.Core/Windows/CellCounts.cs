using System.Buffers;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// Confusion counts of a window or a time bucket, kept in whichever form is smaller. A bucket sees at most
/// min(rows, K²) distinct cells, so for many classes a dense K×K matrix per bucket would be mostly zeros: cells start
/// in an open-addressing table (16 bytes a slot), which turns into a dense matrix (8 bytes a cell) once the table
/// would need as many bytes — at once for 3 classes, after about 100 distinct cells for 20 classes, never in practice
/// for 1000. Cells that fall back to 0 stay in the table until its next resize drops them, so it never holds much more
/// than twice the non-zero cells.
/// A mutable struct so that a bucket carries it without another object header and pointer (60 buckets a window):
/// only ever use it through a field, never a copy. Not thread-safe.
/// </summary>
internal struct CellCounts
{
    private const int InitialCapacity = 8;

    // Sparse: _keys[i] == 0 marks an empty slot; a cell is ((truth + 1) << 32) | predicted, never 0.
    // Dense (_stride > 0): _keys is null and _counts is a _stride × _stride row-major matrix.
    private long[]? _keys;
    private long[]? _counts;
    private int _used;
    private int _shift;
    private int _stride;

    public readonly long Get(int truth, int predicted)
    {
        if (_stride > 0)
        {
            return truth < _stride && predicted < _stride ? _counts![(truth * _stride) + predicted] : 0;
        }

        if (_used == 0)
        {
            return 0;
        }

        var slot = Find(_keys!, _shift, Key(truth, predicted));
        return _keys![slot] != 0 ? _counts![slot] : 0;
    }

    /// <summary>Adds <paramref name="delta"/> (negative to take rows back) to one cell and returns its new count.</summary>
    public long Add(int truth, int predicted, long delta)
    {
        var key = Key(truth, predicted);
        if (_stride > 0)
        {
            if (truth >= _stride || predicted >= _stride)
            {
                ToDense(Math.Max(truth, predicted) + 1);
            }

            return _counts![(truth * _stride) + predicted] += delta;
        }

        if ((_used + 1) * 4 > (_keys?.Length ?? 0) * 3)
        {
            Resize(Math.Max(truth, predicted));
            if (_stride > 0)
            {
                return Add(truth, predicted, delta);
            }
        }

        var slot = Find(_keys!, _shift, key);
        if (_keys![slot] == 0)
        {
            _keys[slot] = key;
            _used++;
        }

        return _counts![slot] += delta;
    }

    /// <summary>Adds every cell into a dense row-major <paramref name="size"/>×<paramref name="size"/> matrix.</summary>
    public readonly void AddTo(long[] dense, int size)
    {
        if (_counts is null)
        {
            return;
        }

        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            var (truth, predicted) = _stride > 0 ? (i / _stride, i % _stride) : ((int)(_keys![i] >> 32) - 1, (int)(uint)_keys[i]);
            if (truth >= size || predicted >= size)
            {
                throw new ArgumentOutOfRangeException(nameof(size), size, $"The window holds class position {Math.Max(truth, predicted)}; read it with all of the key's classes.");
            }

            dense[(truth * size) + predicted] += _counts[i];
        }
    }

    /// <summary>The non-zero cells (a bucket's state for a durable store).</summary>
    public readonly IEnumerable<(int Truth, int Predicted, long Count)> NonZero()
    {
        var result = new List<(int, int, long)>();
        for (var i = 0; i < (_counts?.Length ?? 0); i++)
        {
            if (_counts![i] != 0)
            {
                var (truth, predicted) = _stride > 0 ? (i / _stride, i % _stride) : ((int)(_keys![i] >> 32) - 1, (int)(uint)_keys[i]);
                result.Add((truth, predicted, _counts[i]));
            }
        }

        return result;
    }

    /// <summary>Empties the counts and keeps their memory and form, for a bucket that is reused.</summary>
    public void Clear()
    {
        if (_counts is not null)
        {
            Array.Clear(_counts);
        }

        if (_keys is not null && _used > 0)
        {
            Array.Clear(_keys);
        }

        _used = 0;
    }

    private static long Key(int truth, int predicted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(truth);
        ArgumentOutOfRangeException.ThrowIfNegative(predicted);
        return ((long)(truth + 1) << 32) | (uint)predicted;
    }

    /// <summary>The slot holding the key, or the empty slot where it belongs (Fibonacci hashing, linear probing).</summary>
    private static int Find(long[] keys, int shift, long key)
    {
        var mask = keys.Length - 1;
        var slot = (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> shift);
        while (keys[slot] != 0 && keys[slot] != key)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    /// <summary>Makes room for one more cell: drops zero cells, doubles if that is not enough, or goes dense if smaller.</summary>
    private void Resize(int position)
    {
        var (keys, counts) = (_keys ?? [], _counts ?? []);
        var live = 0;
        var largest = position;
        for (var i = 0; i < keys.Length; i++)
        {
            if (keys[i] != 0 && counts[i] != 0)
            {
                live++;
                largest = Math.Max(largest, Math.Max((int)(keys[i] >> 32) - 1, (int)(uint)keys[i]));
            }
        }

        var capacity = Math.Max(InitialCapacity, keys.Length);
        while ((live + 1) * 4 > capacity * 3)
        {
            capacity *= 2;
        }

        // A slot (key and count) takes 16 bytes, a dense cell 8.
        var side = largest + 1;
        if ((long)capacity * 2 >= (long)side * side)
        {
            ToDense(side);
            return;
        }

        if (capacity == keys.Length)
        {
            // Only zero cells to drop: rehash into the same arrays through pooled copies, so a window whose cells come
            // and go does not allocate in steady state.
            var oldKeys = ArrayPool<long>.Shared.Rent(keys.Length);
            var oldCounts = ArrayPool<long>.Shared.Rent(keys.Length);
            keys.CopyTo(oldKeys, 0);
            counts.CopyTo(oldCounts, 0);
            Array.Clear(keys);
            Array.Clear(counts);
            Rehash(oldKeys, oldCounts, keys.Length);
            ArrayPool<long>.Shared.Return(oldKeys);
            ArrayPool<long>.Shared.Return(oldCounts);
            return;
        }

        _keys = new long[capacity];
        _counts = new long[capacity];
        _shift = 64 - int.Log2(capacity);
        Rehash(keys, counts, keys.Length);
    }

    /// <summary>Inserts the non-zero cells of old arrays into the (empty) current ones.</summary>
    private void Rehash(long[] keys, long[] counts, int length)
    {
        _used = 0;
        for (var i = 0; i < length; i++)
        {
            if (keys[i] != 0 && counts[i] != 0)
            {
                var slot = Find(_keys!, _shift, keys[i]);
                _keys![slot] = keys[i];
                _counts![slot] = counts[i];
                _used++;
            }
        }
    }

    /// <summary>Moves every cell into a dense matrix <paramref name="stride"/> wide (also to widen a dense one).</summary>
    private void ToDense(int stride)
    {
        var dense = new long[stride * stride];
        if (_counts is not null)
        {
            for (var i = 0; i < _counts.Length; i++)
            {
                if (_counts[i] != 0)
                {
                    var (truth, predicted) = _stride > 0 ? (i / _stride, i % _stride) : ((int)(_keys![i] >> 32) - 1, (int)(uint)_keys[i]);
                    dense[(truth * stride) + predicted] = _counts[i];
                }
            }
        }

        _keys = null;
        _counts = dense;
        _stride = stride;
        _used = 0;
    }
}
