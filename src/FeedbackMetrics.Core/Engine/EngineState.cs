using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// Everything the engine decides on, in memory: the models (the read model every reader reads), the join, the
/// remembered ids. <see cref="Apply"/> is the one place a <see cref="Change"/> is carried out, live and when a log is
/// replayed, so both leave the same state. When <see cref="TrackChanges"/> is on it also notes what changed since the
/// last <see cref="TakeChanged"/>, for a log that writes snapshots.
/// </summary>
public sealed class EngineState(MetricsBook models, JoinBook join, DedupeWindow ids)
{
    private HashSet<MetricKey> _models = [];
    private HashSet<JoinScope> _scopes = [];
    private HashSet<(JoinScope Scope, string RequestId)> _entries = [];
    private List<IdRemembered> _ids = [];
    private HashSet<MetricKey> _reset = [];
    private HashSet<MetricKey> _names = [];

    public MetricsBook Models { get; } = models;

    /// <summary>
    /// The one instance of a key the join's entries hold: each event brings its own strings, and a million held entries
    /// would otherwise keep a million copies of a few names. Bounded: past a multiple of <c>--max_keys</c> keys are not
    /// kept (entries then hold their own copies).
    /// </summary>
    public MetricKey Intern(MetricKey key)
    {
        if (_keys.TryGetValue(key, out var kept))
        {
            return kept;
        }

        if (_keys.Count < Models.MaxKeys * 4)
        {
            _keys[key] = key;
        }

        return key;
    }

    private readonly Dictionary<MetricKey, MetricKey> _keys = [];

    public JoinBook Join { get; } = join;

    public DedupeWindow Ids { get; } = ids;

    /// <summary>True for a log that writes snapshots: what changes is noted until taken.</summary>
    public bool TrackChanges { get; init; }

    /// <summary>The highest sequence an id was remembered under (the ids window forgets in that order).</summary>
    public long IdSequence { get; private set; }

    /// <summary>The highest outbox sequence posted.</summary>
    public long OutboxSequence { get; private set; }

    public void Apply(Change change)
    {
        switch (change)
        {
            case IdRemembered id:
                Ids.TryAdd(id.Digest, ++IdSequence, id.ExpiresAt);
                NoteId(id);
                break;
            case RowsCounted counted:
                Models.GetOrCreate(counted.Key).Count(counted.NewClasses, counted.Rows, counted.Reward, counted.Segments);
                NoteModel(counted.Key);
                break;
            case RowsMoved moved:
                Models.GetOrCreate(moved.Key).Move(moved.NewClasses, moved.Moves, moved.Segments);
                NoteModel(moved.Key);
                break;
            case JoinChanged joined:
                Join.Apply(joined);
                if (joined.Step != JoinStep.ResponseRefused)
                {
                    NoteEntry(joined);
                }
                else if (TrackChanges)
                {
                    _scopes.Add(joined.Scope);
                }

                break;
            case ClassNamesSet named:
                Models.ClassNames.Set(named.Key, named.Names);
                if (TrackChanges)
                {
                    _names.Add(named.Key);
                }

                break;
            case ModelReset reset:
                Models.Remove(reset.Key);
                NoteReset(reset.Key);
                break;
            case ReplyPosted posted:
                OutboxSequence = Math.Max(OutboxSequence, posted.Seq);
                break;
            default:
                throw new ArgumentException($"Unknown change {change.GetType().Name}.", nameof(change));
        }
    }

    /// <summary>Forgets everything (a log loading its state again).</summary>
    public void Clear()
    {
        foreach (var key in Models.SnapshotAll().Select(s => s.Key))
        {
            Models.Remove(key);
        }

        Models.ClassNames.Clear();
        Join.Clear();
        Ids.Clear();
        IdSequence = 0;
        OutboxSequence = 0;
        TakeChanged();
    }

    /// <summary>Puts back the class names a log kept for a model (not noted as changed).</summary>
    public void RestoreClassNames(MetricKey key, IReadOnlyList<string> names) => Models.ClassNames.Set(key, names);

    /// <summary>Puts back a remembered id a log kept in its snapshot (not noted as changed: it is stored already), judged at <paramref name="now"/> (Unix ms).</summary>
    public void RestoreId(UInt128 digest, long expiresAt, long now) => Ids.Restore(digest, ++IdSequence, expiresAt, now);

    /// <summary>Puts back the outbox sequence a log kept, so new replies number on after it.</summary>
    public void RestoreOutboxSequence(long seq) => OutboxSequence = Math.Max(OutboxSequence, seq);

    /// <summary>
    /// What changed since the last call (with <see cref="TrackChanges"/>): the images of the models changed, the keys
    /// reset, the deployments whose join counts changed, the join entries written (as they are now) or forgotten, where
    /// the log kept the versions they replaced, and the ids remembered. Call it on the writer, between groups.
    /// </summary>
    public ChangedState TakeChanged()
    {
        var models = new List<ModelImage>(_models.Count);
        foreach (var key in _models)
        {
            if (Models.TryGet(key, out var aggregate))
            {
                models.Add(aggregate.Export());
            }
        }

        var scopes = _scopes.Select(Join.StateOf).OfType<JoinScopeState>().ToList();
        var written = new List<(JoinScope, string, RequestEntry)>();
        var forgotten = new List<(JoinScope, string)>();
        foreach (var (scope, requestId) in _entries)
        {
            if (Join.TryGet(scope, requestId, out var entry))
            {
                written.Add((scope, requestId, entry));
            }
            else
            {
                forgotten.Add((scope, requestId));
            }
        }

        var names = _names.Select(k => (k, Models.ClassNames.Of(k))).Where(n => n.Item2 is not null).Select(n => (n.k, n.Item2!)).ToList();
        var changed = new ChangedState(models, [.. _reset.Where(k => !Models.Contains(k))], scopes, written, forgotten, _ids) { ClassNames = names, Released = Join.TakeReleased() };
        _models = [];
        _scopes = [];
        _entries = [];
        _ids = [];
        _reset = [];
        _names = [];
        return changed;
    }

    private void NoteModel(MetricKey key)
    {
        if (TrackChanges)
        {
            _models.Add(key);
            _reset.Remove(key);
        }
    }

    private void NoteReset(MetricKey key)
    {
        if (TrackChanges)
        {
            _models.Remove(key);
            _reset.Add(key);
        }
    }

    private void NoteEntry(JoinChanged change)
    {
        if (TrackChanges)
        {
            _entries.Add((change.Scope, change.RequestId));
            _scopes.Add(change.Scope);
        }
    }

    private void NoteId(IdRemembered id)
    {
        if (TrackChanges)
        {
            _ids.Add(id);
        }
    }
}

/// <summary>What changed in an <see cref="EngineState"/> since a log last took it (<see cref="EngineState.TakeChanged"/>).</summary>
public sealed record ChangedState(
    IReadOnlyList<ModelImage> Models,
    IReadOnlyList<MetricKey> Reset,
    IReadOnlyList<JoinScopeState> Scopes,
    IReadOnlyList<(JoinScope Scope, string RequestId, RequestEntry Entry)> Written,
    IReadOnlyList<(JoinScope Scope, string RequestId)> Forgotten,
    IReadOnlyList<IdRemembered> Ids)
{
    /// <summary>The class names models' responses gave, where they changed.</summary>
    public IReadOnlyList<(MetricKey Key, IReadOnlyList<string> Names)> ClassNames { get; init; } = [];

    /// <summary>Where the log kept the join entries' versions replaced or forgotten since (<see cref="JoinBook.TakeReleased"/>).</summary>
    public IReadOnlyList<long> Released { get; init; } = [];
}
