using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Requests on their way to Redis, one at a time per replica: the requests that come while one is in flight wait
/// and go together in the next, as one request of all their events (the join's read, when they hold join halves,
/// included). Redis then runs one script (and, with <c>appendfsync always</c>, one write to its log) for many
/// requests and writes each field they touch once; and since this replica's own calls never overlap, the state it
/// holds is the one Redis had before the call unless another replica counted meanwhile, so the script seldom has to
/// send the state back.
/// </summary>
/// <remarks>
/// A call takes waiting requests in arrival order until they hold <paramref name="maxEvents"/> events (a larger
/// request goes alone). When the combined request is refused (class cap, model cap, a truth whose rows do not match
/// its response: nothing was written), its requests are run again one by one, so only the request at fault is
/// refused. Any other failure (Redis unavailable, contention past the retries) is every request's: none of them was
/// acknowledged.
/// </remarks>
internal sealed class RedisApplyQueue(Func<IReadOnlyList<FeedbackEvent>, Task<ApplyResult[]>> apply, int maxEvents)
{
    private readonly Lock _gate = new();
    private readonly Queue<Waiting> _waiting = new();
    private bool _running;

    public Task<ApplyResult[]> ApplyAsync(IReadOnlyList<FeedbackEvent> events)
    {
        var waiting = new Waiting(events);
        lock (_gate)
        {
            _waiting.Enqueue(waiting);
            if (_running)
            {
                return waiting.Done.Task;
            }

            _running = true;
        }

        _ = PumpAsync();
        return waiting.Done.Task;
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            var batch = new List<Waiting>();
            lock (_gate)
            {
                var events = 0;
                while (_waiting.TryPeek(out var next) && (batch.Count == 0 || events + next.Events.Count <= maxEvents))
                {
                    batch.Add(_waiting.Dequeue());
                    events += next.Events.Count;
                }

                if (batch.Count == 0)
                {
                    _running = false;
                    return;
                }
            }

            await RunAsync(batch);
        }
    }

    private async Task RunAsync(List<Waiting> batch)
    {
        if (batch.Count == 1)
        {
            await RunAloneAsync(batch[0]);
            return;
        }

        ApplyResult[] results;
        try
        {
            results = await apply([.. batch.SelectMany(w => w.Events)]);
        }
        catch (InvalidFeedbackException)
        {
            foreach (var waiting in batch)
            {
                await RunAloneAsync(waiting);
            }

            return;
        }
        catch (Exception e)
        {
            foreach (var waiting in batch)
            {
                waiting.Done.SetException(e);
            }

            return;
        }

        var at = 0;
        foreach (var waiting in batch)
        {
            waiting.Done.SetResult(results[at..(at + waiting.Events.Count)]);
            at += waiting.Events.Count;
        }
    }

    private async Task RunAloneAsync(Waiting waiting)
    {
        try
        {
            waiting.Done.SetResult(await apply(waiting.Events));
        }
        catch (Exception e)
        {
            waiting.Done.SetException(e);
        }
    }

    private sealed class Waiting(IReadOnlyList<FeedbackEvent> events)
    {
        public IReadOnlyList<FeedbackEvent> Events { get; } = events;

        public TaskCompletionSource<ApplyResult[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
