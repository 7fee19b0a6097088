using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// Decides a group of requests against the state without changing it: which events are repeats, what the join does
/// with each response and truth, the rows each counts or moves (classes, positions, scores, window stamps), the metric
/// event each answers with, what expiry and the cap forget — every change, ready to apply once durable. Requests see
/// the effect of those before them (the join through an overlay of the entries the group touches, counting through a
/// plan per key). A request that would pass a cap or join rows that do not match is refused with
/// <see cref="InvalidFeedbackException"/> and leaves the plan as it was before it: all or nothing per request.
/// </summary>
internal sealed partial class GroupPlanner
{
    private readonly EngineState _state;
    private readonly JoinLimits _limits;
    private readonly bool _postsReplies;
    private readonly Dictionary<MetricKey, KeyPlan> _keys;
    private DateTimeOffset _now;
    private ChangeSet _changes = new(default);
    private long _idExpiry;
    private readonly HashSet<UInt128> _seen = [];
    private readonly Dictionary<MetricKey, IReadOnlyList<string>?> _names = [];
    private long _stamp;
    private long _outboxSeq;
    private int _newKeys;

    /// <param name="plans">The engine's plans of keys, kept between groups while each matches its key.</param>
    public GroupPlanner(EngineState state, JoinLimits limits, bool postsReplies, Dictionary<MetricKey, KeyPlan> plans) =>
        (_state, _limits, _postsReplies, _keys) = (state, limits, postsReplies, plans);

    /// <summary>Starts planning a group decided at <paramref name="now"/>: the same planner serves every group, so a group allocates little.</summary>
    public void Begin(DateTimeOffset now)
    {
        _now = now;
        _changes = new ChangeSet(now);
        _stamp = _state.Join.LastStamp;
        _outboxSeq = _state.OutboxSequence;
        _idExpiry = now.ToUnixTimeMilliseconds() + (long)_state.Ids.Ttl.TotalMilliseconds;
        _newKeys = 0;
        _seen.Clear();
        _names.Clear();
        ClearJoin();
    }

    public ChangeSet Changes => _changes;

    /// <summary>Plans one request; throws (leaving the plan as it was) when the request is refused.</summary>
    public ApplyResult[] Plan(IReadOnlyList<IngestEvent> request)
    {
        var mark = Mark();
        try
        {
            var results = new ApplyResult[request.Count];
            for (var i = 0; i < request.Count; i++)
            {
                results[i] = PlanEvent(request[i], request.Count);
            }

            EvictOverCap();
            return results;
        }
        catch
        {
            Rollback(mark);
            throw;
        }
    }

    private ApplyResult PlanEvent(IngestEvent e, int eventsInRequest)
    {
        var digest = EventHash.Of(e.Id);
        if (_state.Ids.Contains(digest) || !_seen.Add(digest))
        {
            return ApplyResult.Duplicate;
        }

        _digests.Add(digest);
        _changes.Add(new IdRemembered(digest, _idExpiry) { Scope = JoinScope.Of(e.Key) });
        try
        {
            Name(e);
            var (join, key, rows, toSender) = e switch
            {
                CountedFeedback f => (null, Count(f.Key, f.Feedback, f.Segments), f.Feedback.Rows, true),
                LoggedResponse r => Response(r),
                TruthOnly t => Truth(t),
                _ => throw new ArgumentException($"Unknown event {e.GetType().Name}.", nameof(e)),
            };
            if (key is null)
            {
                return new ApplyResult(ApplyOutcome.Applied, null) { Join = join };
            }

            var reply = new MetricReply(FeedbackEngine.ReplyIdOf(digest), _now, e.Reply.Extensions, e.Reply.Binary, rows, key.Figures(rows));
            if (_postsReplies)
            {
                _changes.Add(new ReplyPosted(++_outboxSeq, reply));
            }

            return new ApplyResult(ApplyOutcome.Applied, toSender ? reply : null) { Join = join, Figures = reply.Figures };
        }
        catch (InvalidFeedbackException x) when (eventsInRequest > 1)
        {
            throw new InvalidFeedbackException(x.Kind, $"Event {e.Id}: {x.Message} The whole batch was refused; nothing was counted.");
        }
    }

    /// <summary>
    /// The names a counted feedback's or a logged response's model gives its classes, when they differ from what the
    /// model shows: the latest names win; a response without names leaves them.
    /// </summary>
    private void Name(IngestEvent e)
    {
        var names = e switch
        {
            CountedFeedback f => f.Feedback.ClassNames,
            LoggedResponse r => r.Response.ClassNames,
            _ => null,
        };
        if (names is null)
        {
            return;
        }

        var had = _names.TryGetValue(e.Key, out var current);
        current = had ? current : _state.Models.ClassNames.Of(e.Key);
        if (current is null || !current.SequenceEqual(names, StringComparer.Ordinal))
        {
            _namesUndo.Add((e.Key, had, had ? current : null));
            _names[e.Key] = names;
            _changes.Add(new ClassNamesSet(e.Key, [.. names]));
        }
    }

    private (JoinAction?, KeyPlan?, Observation[], bool) Response(LoggedResponse r)
    {
        var key = _state.Intern(r.Key);
        var scope = JoinScope.Of(key);
        var entry = Live(scope, r.RequestId);
        if (entry is null)
        {
            Write(scope, r.RequestId, JoinStep.Pended, new RequestEntry(key, r.Response, _now, null, null, default, default, null, _now, ++_stamp) { Segments = r.Segments });
            return (JoinAction.ResponsePending, null, [], false);
        }

        if (entry.Response is not null)
        {
            _changes.Add(new JoinChanged(scope, r.RequestId, JoinStep.ResponseRefused, null));
            return (JoinAction.ResponseAlreadyHeld, null, [], false);
        }

        // The truth came first: counted now, under the response's key, with a label delay of zero; the metric event
        // goes to the reply URL only (the sender of a response expects no answer).
        var counted = ClassDecoder.Combine(entry.Truth!, r.Response, entry.Reward);
        var plan = Count(r.Key, counted, SegmentValue.Merge(r.Segments, entry.Segments));
        Write(scope, r.RequestId, JoinStep.ResponseJoined, entry with { Key = key, Response = r.Response, ResponseArrived = _now, CountedAt = _now, Counted = _lastCounted, LastChange = _now, Stamp = ++_stamp, Segments = _lastSegments });
        return (JoinAction.Joined, plan, counted.Rows, false);
    }

    private (JoinAction?, KeyPlan?, Observation[], bool) Truth(TruthOnly t)
    {
        var truthKey = _state.Intern(t.Key);
        var scope = JoinScope.Of(truthKey);
        var entry = Live(scope, t.RequestId);
        if (entry is null)
        {
            Write(scope, t.RequestId, JoinStep.Parked, new RequestEntry(truthKey, null, default, t.Truth, t.Reward, _now, default, null, _now, ++_stamp) { Segments = t.Segments });
            return (JoinAction.TruthParked, null, [], false);
        }

        if (entry.Response is null)
        {
            Write(scope, t.RequestId, JoinStep.ParkedReplaced, entry with { Truth = t.Truth, Reward = t.Reward, TruthArrived = _now, LastChange = _now, Stamp = ++_stamp, Segments = t.Segments });
            return (JoinAction.ParkedTruthReplaced, null, [], false);
        }

        var counted = ClassDecoder.Combine(t.Truth, entry.Response, t.Reward);
        if (entry.Truth is null)
        {
            var plan = Count(entry.Key, counted, SegmentValue.Merge(entry.Segments, t.Segments));
            Write(scope, t.RequestId, JoinStep.TruthJoined, entry with { Truth = t.Truth, Reward = t.Reward, TruthArrived = _now, CountedAt = _now, Counted = _lastCounted, LastChange = _now, Stamp = ++_stamp, Segments = _lastSegments });
            return (JoinAction.Joined, plan, counted.Rows, true);
        }

        if (entry.Truth.Rows.AsSpan().SequenceEqual(t.Truth.Rows))
        {
            return (JoinAction.TruthUnchanged, null, [], false);
        }

        var moved = Move(entry.Key, entry.Counted!, counted, entry.Segments);
        Write(scope, t.RequestId, JoinStep.Corrected, entry with { Truth = t.Truth, Reward = t.Reward, TruthArrived = _now, Counted = _lastCounted, LastChange = _now, Stamp = ++_stamp });

        // Its metric event reports the rows whose truth changed: those are what the counters count again.
        var before = entry.Rows();
        return (JoinAction.Corrected, moved, [.. counted.Rows.Where((row, i) => row.Truth != before.Rows[i].Truth)], true);
    }

    /// <summary>The rows the last <see cref="Count"/> or <see cref="Move"/> planned, as the join entry keeps them.</summary>
    private CountedRow[]? _lastCounted;

    /// <summary>The segment values the last <see cref="Count"/> counted its rows under, as the join entry keeps them.</summary>
    private SegmentValue[] _lastSegments = [];

    /// <summary>
    /// Plans counting rows under a key: its classes (capped), each row's positions, score and window stamp, and the
    /// segment values they are also counted under (past <c>--max_segment_values</c> a name's new values fold into <c>other</c>).
    /// </summary>
    private KeyPlan Count(MetricKey key, DecodedFeedback feedback, IReadOnlyList<SegmentValue> segments)
    {
        var plan = KeyPlanOf(key);
        plan.Classes.CheckCapacity(feedback, _state.Models.MaxClasses);
        plan.Classes.Register(feedback);
        var rows = new CountedRow[feedback.Rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var observation = feedback.Rows[i];
            var row = new WindowRow(plan.Classes.PositionOf(observation.Truth), plan.Classes.PositionOf(observation.Predicted), plan.Score(feedback.Scores, i, observation.Truth));
            rows[i] = new CountedRow(new RowStamp(plan.NextSequence++, _now), row);
            plan.Cell(row.Truth, row.Predicted, +1);
        }

        plan.Counted(rows.Length, feedback.Reward);
        _lastSegments = plan.Fold(segments, _state.Models.MaxSegmentValues);
        _changes.Add(new RowsCounted(key, plan.TakeNewClasses(), rows, feedback.Reward) { Segments = _lastSegments });
        _lastCounted = rows;
        return plan;
    }

    /// <summary>Plans moving a joined request's counted rows to the truths of <paramref name="relabelled"/>, each keeping its place.</summary>
    private KeyPlan Move(MetricKey key, CountedRow[] counted, DecodedFeedback relabelled, IReadOnlyList<SegmentValue> segments)
    {
        var plan = KeyPlanOf(key);

        // A move registers only the classes its new truths name, not a wider one-hot width.
        var truths = new DecodedFeedback([.. relabelled.Rows.Select(r => new Observation(r.Truth, r.Truth))], 0);
        plan.Classes.CheckCapacity(truths, _state.Models.MaxClasses);
        plan.Classes.Register(truths);
        var moves = new RowMove[counted.Length];
        var rows = new CountedRow[counted.Length];
        for (var i = 0; i < counted.Length; i++)
        {
            var truth = relabelled.Rows[i].Truth;
            var was = counted[i].Row;
            var to = was with { Truth = plan.Classes.PositionOf(truth), Probability = plan.Score(relabelled.Scores, i, truth) };
            plan.Cell(was.Truth, was.Predicted, -1);
            plan.Cell(to.Truth, to.Predicted, +1);
            moves[i] = new RowMove(counted[i].Stamp, was, to);
            rows[i] = counted[i] with { Row = to };
        }

        _changes.Add(new RowsMoved(key, plan.TakeNewClasses(), moves) { Segments = [.. segments] });
        _lastCounted = rows;
        return plan;
    }

    /// <summary>
    /// The key as the group leaves it so far: the plan the engine kept while it matches the key (or the group has it in
    /// flight already), else one made from the key's figures, or a new key's (within <c>--max_keys</c>).
    /// </summary>
    private KeyPlan KeyPlanOf(MetricKey key)
    {
        _state.Models.TryGet(key, out var aggregate);
        if (_keys.TryGetValue(key, out var plan) && (_inFlight.Contains(key) || (aggregate is not null && plan.Version == aggregate.Version)))
        {
            Touch(key, plan);
            return plan;
        }

        if (aggregate is not null)
        {
            var (snapshot, topK, next, segments) = aggregate.PlanningState();
            plan = new KeyPlan(key, snapshot, topK, next, segments);
        }
        else
        {
            var keys = _state.Models.KeyCount + _newKeys;
            if (keys >= _state.Models.MaxKeys)
            {
                throw new InvalidFeedbackException(
                    RejectionKind.LimitExceeded,
                    $"The server already keeps figures for {keys} models; at most {_state.Models.MaxKeys} are kept (--max_keys). Reset unused ones or raise the limit.");
            }

            _newKeys++;
            plan = new KeyPlan(key, null, 0, 0);
        }

        _keys[key] = plan;
        _keysAdded.Add(key);
        _inFlight.Add(key);
        plan.Version = KeyPlan.InFlight;
        return plan;
    }

    /// <summary>A plan this request changes: in flight until the group is applied, and marked so the request can be taken back.</summary>
    private void Touch(MetricKey key, KeyPlan plan)
    {
        if (_touched.Add(key))
        {
            plan.Mark();
        }

        if (_inFlight.Add(key))
        {
            plan.Version = KeyPlan.InFlight;
        }
    }
}
