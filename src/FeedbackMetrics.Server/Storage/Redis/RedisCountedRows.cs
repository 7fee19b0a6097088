using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Where this replica counted the rows of the joins it counted: their places in its own windows, which no other
/// replica knows (windows are per replica on Redis), so that a relabel through this replica moves them there too.
/// Bounded: past <c>max</c> requests the oldest are forgotten (a relabel of one then moves the cumulative cells only).
/// Not thread-safe: <see cref="RedisReadModel"/> locks.
/// </summary>
internal sealed class RedisCountedRows(int max)
{
    /// <summary>A place in no window: what a row counted elsewhere is moved with (cumulative matrix only).</summary>
    public static readonly RowStamp Foreign = new(long.MinValue, DateTimeOffset.MinValue);

    private readonly Dictionary<(JoinScope, string), CountedRow[]> _rows = [];
    private readonly Queue<(JoinScope, string)> _order = new();

    public void Remember((JoinScope Scope, string RequestId) request, CountedRow[] rows)
    {
        if (_rows.TryAdd(request, rows))
        {
            _order.Enqueue(request);
        }
        else
        {
            _rows[request] = rows;
        }

        while (_rows.Count > max && _order.TryDequeue(out var oldest))
        {
            _rows.Remove(oldest);
        }
    }

    /// <summary>The rows of a request this replica counted, when it remembers them and their number matches.</summary>
    public CountedRow[]? Get((JoinScope Scope, string RequestId) request, int count) =>
        _rows.TryGetValue(request, out var rows) && rows.Length == count && rows.All(r => r.Stamp != Foreign) ? rows : null;
}
