using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// The one place the rules live. <see cref="Decide"/> takes a group of requests and decides each in order against
/// <see cref="State"/> — repeats, caps, the join (park, pend, join, correct, expire, evict), the rows counted or moved,
/// what each event's answer is — without changing it, and returns a result per event and one <see cref="ChangeSet"/>
/// for the group. A state log makes the change set durable; then <see cref="Apply"/> carries it out, as a log replaying
/// it at start-up does. Each request is all or nothing: a refused one is in no change set. One writer at a time; readers
/// read the models and the join figures meanwhile. No I/O.
/// </summary>
public sealed class FeedbackEngine(EngineState state, JoinLimits joinLimits, TimeProvider time)
{
    /// <summary>Join entries one group forgets past their TTL at most, so a week falling due at once does not stall a group.</summary>
    public const int ExpiryChunk = 4096;

    /// <summary>Each key's plan, kept between groups while it matches the key: counting into a key copies nothing of it.</summary>
    private readonly Dictionary<MetricKey, KeyPlan> _plans = [];

    private GroupPlanner? _planner;

    public EngineState State { get; } = state;

    public JoinLimits JoinLimits { get; } = joinLimits;

    /// <summary>True when a reply URL is set: every counted event's metric event is also posted for it (<see cref="ReplyPosted"/>).</summary>
    public bool PostsReplies { get; init; }

    /// <summary>The clock groups are decided by: rows are counted, and entries change, at its time.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>Decides a group of requests, in order, changing nothing; each request's outcome is its results or its refusal.</summary>
    public GroupDecision Decide(IReadOnlyList<IReadOnlyList<IngestEvent>> requests)
    {
        var planner = Planner();
        planner.ExpireDue(ExpiryChunk);
        var outcomes = new RequestOutcome[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                outcomes[i] = new RequestOutcome(planner.Plan(requests[i]), null);
            }
            catch (InvalidFeedbackException refused)
            {
                outcomes[i] = new RequestOutcome(null, refused);
            }
        }

        return new GroupDecision(outcomes, planner.Changes);
    }

    /// <summary>Writer housekeeping without traffic: forgets the join entries past their TTL (a chunk) and past the cap.</summary>
    public ChangeSet Housekeep()
    {
        var planner = Planner();
        planner.ExpireDue(ExpiryChunk);
        planner.EvictOverCap();
        return planner.Changes;
    }

    /// <summary>
    /// Decides forgetting every figure of the given keys and the join entries whose responses count under them (rows
    /// counted before must not be moved, responses of the old model not joined); says how many of the keys exist.
    /// </summary>
    public (int Existed, ChangeSet Changes) Reset(IReadOnlyCollection<MetricKey> keys)
    {
        var planner = Planner();
        var existed = 0;
        foreach (var key in keys.Distinct())
        {
            planner.DropResponsesOf(key);
            if (State.Models.Contains(key))
            {
                existed++;
                planner.Changes.Add(new ModelReset(key));
            }
        }

        return (existed, planner.Changes);
    }

    /// <summary>
    /// Carries out a change set once durable, or as a log replays it: the same steps either way. The plans of the keys it
    /// counted into match their keys again.
    /// </summary>
    public void Apply(ChangeSet changes)
    {
        foreach (var change in changes.Changes)
        {
            State.Apply(change);
            var counted = change switch
            {
                RowsCounted c => c.Key,
                RowsMoved m => m.Key,
                _ => (MetricKey?)null,
            };
            if (counted is { } key && _plans.TryGetValue(key, out var plan) && plan.Version == KeyPlan.InFlight && State.Models.TryGet(key, out var model))
            {
                plan.Version = model.Version;
            }
            else if (change is ModelReset reset)
            {
                _plans.Remove(reset.Key);
            }
        }
    }

    /// <summary>Forgets the plans of keys (a log loading the state anew): each is made again from its key when next used.</summary>
    public void ForgetPlans() => _plans.Clear();

    /// <summary>The one planner, begun for a new group.</summary>
    private GroupPlanner Planner()
    {
        _planner ??= new GroupPlanner(State, JoinLimits, PostsReplies, _plans);
        _planner.Begin(Time.GetUtcNow());
        return _planner;
    }

    /// <summary>The id of an event's metric event: derived from its digest, so every copy of one event's metric event has one id.</summary>
    public static string ReplyIdOf(UInt128 digest) => digest.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>What a group's decision gave: an outcome per request, in order, and the one change set of the group.</summary>
public sealed record GroupDecision(IReadOnlyList<RequestOutcome> Requests, ChangeSet Changes);

/// <summary>A request's results (one per event, in order), or why it was refused (then it is in no change set).</summary>
public sealed record RequestOutcome(ApplyResult[]? Results, InvalidFeedbackException? Refusal);
