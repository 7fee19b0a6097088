namespace FeedbackMetrics.Core.Metrics;

/// <summary>A square matrix of counts that grows as classes appear; rows are the true class, columns the predicted one. Not thread-safe.</summary>
internal sealed class ConfusionMatrix
{
    private long[] _cells = new long[16];
    private int _stride = 4;

    public int Size { get; private set; }

    public void Grow(int size)
    {
        if (size <= Size)
        {
            return;
        }

        if (size > _stride)
        {
            var stride = Math.Max(size, _stride * 2);
            var cells = new long[stride * stride];
            for (var r = 0; r < Size; r++)
            {
                Array.Copy(_cells, r * _stride, cells, r * stride, Size);
            }

            _cells = cells;
            _stride = stride;
        }

        Size = size;
    }

    public void Add(int truth, int predicted, long count) => _cells[(truth * _stride) + predicted] += count;

    public long this[int truth, int predicted] => _cells[(truth * _stride) + predicted];

    /// <summary>A dense copy, <see cref="Size"/> x <see cref="Size"/>, row-major.</summary>
    public long[] ToArray()
    {
        var copy = new long[Size * Size];
        for (var r = 0; r < Size; r++)
        {
            Array.Copy(_cells, r * _stride, copy, r * Size, Size);
        }

        return copy;
    }
}
