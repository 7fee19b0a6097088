using System.Diagnostics.CodeAnalysis;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Core.Engine;

/// <summary>
/// The join's state: per (namespace, deployment, request id) one <see cref="RequestEntry"/>, in the order of their
/// last change (a list: the oldest is forgotten first), and per deployment its counts since the start and what it
/// holds. Entries are found per deployment, then by request id in a table keyed by the string alone (hashed without
/// the deployment's strings each time, by the runtime's own string table code). Changed only by <see cref="Apply"/>
/// (the engine's writer, or a log being replayed); the figures are read from any thread. Rules live in
/// <see cref="FeedbackEngine"/>; this only carries them out. An entry a log put back as its stored bytes
/// (<see cref="IStoredEntries"/>) is decoded the first time it is read. A log that keeps entries in place gives each
/// stored entry a number saying where (<see cref="MarkStored"/>); the join hands back the numbers of stored versions it
/// has since replaced or forgotten (<see cref="TakeReleased"/>), so the log needs no table of its own to find them.
/// </summary>
public sealed partial class JoinBook : IJoinFigures
{
    private readonly Lock _lock = new();
    private readonly Dictionary<JoinScope, Dictionary<string, Node>> _entries = [];
    private readonly Dictionary<JoinScope, JoinScopeStats> _stats = [];
    private Node? _oldest;
    private Node? _newest;
    private (JoinScope Scope, Dictionary<string, Node> Ids)? _lastIds;
    private List<long> _released = [];

    /// <summary>Entries held, all deployments together (what the size cap bounds).</summary>
    public int Count { get; private set; }

    /// <summary>The highest stamp an entry was given: new entries are stamped after it.</summary>
    public long LastStamp { get; private set; }

    public bool TryGet(JoinScope scope, string requestId, [MaybeNullWhen(false)] out RequestEntry entry)
    {
        Node? node = null;
        var found = _entries.TryGetValue(scope, out var ids) && ids.TryGetValue(requestId, out node);
        entry = node?.Entry;
        return found;
    }

    /// <summary>The entry that changed longest ago, or false when none is held.</summary>
    public bool TryOldest(out JoinScope scope, out string requestId, [MaybeNullWhen(false)] out RequestEntry entry)
    {
        (scope, requestId, entry) = _oldest is { } node ? (node.Scope, node.RequestId, node.Entry) : (default, "", null!);
        return _oldest is not null;
    }

    /// <summary>The entries of one deployment (a reset looks for those of its model).</summary>
    public List<(string RequestId, RequestEntry Entry)> InScope(JoinScope scope) =>
        _entries.TryGetValue(scope, out var ids) ? [.. ids.Select(pair => (pair.Key, pair.Value.Entry))] : [];

    /// <summary>Every entry, oldest change first (what a log keeps in a snapshot).</summary>
    public IEnumerable<(JoinScope Scope, string RequestId, RequestEntry Entry)> Entries()
    {
        for (var node = _oldest; node is not null; node = node.Next)
        {
            yield return (node.Scope, node.RequestId, node.Entry);
        }
    }

    /// <summary>Carries out one step: the entry and the deployment's counts, as <see cref="JoinStep"/> says.</summary>
    public void Apply(JoinChanged change)
    {
        lock (_lock)
        {
            var ids = IdsOf(change.Scope);
            ids.TryGetValue(change.RequestId, out var node);
            var before = node?.Entry;
            var stats = StatsLocked(change.Scope);
            CountStep(stats, change.Step, before, change.Entry);
            if (change.Step == JoinStep.ResponseRefused)
            {
                return;
            }

            if (node is not null)
            {
                Release(node);
            }

            if (change.Entry is null)
            {
                if (node is not null)
                {
                    Unlink(node);
                    ids.Remove(change.RequestId);
                    Count--;
                }

                return;
            }

            LastStamp = Math.Max(LastStamp, change.Entry.Stamp);
            if (node is null)
            {
                node = new Node(change.Scope, change.RequestId, change.Entry);
                ids.Add(change.RequestId, node);
                Count++;
                Append(node);
            }
            else
            {
                var moved = change.Entry.Stamp != node.Stamp;
                node.Entry = change.Entry;
                if (moved)
                {
                    Unlink(node);
                    Append(node);
                }
            }
        }
    }

    /// <summary>Puts back a deployment's stored counts (a log loading a snapshot), before its entries.</summary>
    public void Restore(JoinScopeState state)
    {
        lock (_lock)
        {
            _stats[state.Scope] = JoinScopeStats.FromState(state, withHeld: true);
        }
    }

    /// <summary>Makes room for this many entries of a deployment at once (a log about to put them back), so loading does not regrow its table.</summary>
    public void Reserve(JoinScope scope, int count) => IdsOf(scope).EnsureCapacity(count);

    /// <summary>Puts back a stored entry (a log loading a snapshot), in stamp order: it goes after every entry held.</summary>
    public void Restore(JoinScope scope, string requestId, RequestEntry entry)
    {
        var node = new Node(scope, requestId, entry);
        IdsOf(scope).Add(requestId, node);
        Count++;
        Append(node);
        LastStamp = Math.Max(LastStamp, entry.Stamp);
    }

    /// <summary>The stored form of every deployment's counts (what a full snapshot keeps).</summary>
    public List<JoinScopeState> States()
    {
        lock (_lock)
        {
            return [.. _stats.Select(pair => pair.Value.State(pair.Key))];
        }
    }

    /// <summary>
    /// Puts back an entry still in its stored bytes (a log loading a snapshot), in stamp order: it goes after every entry
    /// held, and is decoded from <paramref name="stored"/> at <paramref name="at"/> when first read. <paramref name="stamp"/>
    /// must be the stored entry's own; <paramref name="storedAt"/> (not 0) is where the log keeps it (<see cref="MarkStored"/>).
    /// </summary>
    public void Restore(JoinScope scope, string requestId, long stamp, IStoredEntries stored, int at, long storedAt)
    {
        var node = new Node(scope, requestId, stamp, stored, at) { StoredAt = storedAt };
        IdsOf(scope).Add(requestId, node);
        Count++;
        Append(node);
        LastStamp = Math.Max(LastStamp, stamp);
    }

    /// <summary>
    /// Notes where a log keeps the entry now held for a request id (a number it chooses, not 0): when that version is
    /// replaced or forgotten, the number is handed back by <see cref="TakeReleased"/>. Called on the writer.
    /// </summary>
    public void MarkStored(JoinScope scope, string requestId, long storedAt)
    {
        ArgumentOutOfRangeException.ThrowIfZero(storedAt);
        lock (_lock)
        {
            if (_entries.TryGetValue(scope, out var ids) && ids.TryGetValue(requestId, out var node))
            {
                node.StoredAt = storedAt;
            }
        }
    }

    /// <summary>Where the stored versions replaced or forgotten since the last call were kept (<see cref="MarkStored"/>).</summary>
    public List<long> TakeReleased()
    {
        lock (_lock)
        {
            var released = _released;
            _released = [];
            return released;
        }
    }

    /// <summary>The stored form of a deployment's counts.</summary>
    public JoinScopeState? StateOf(JoinScope scope)
    {
        lock (_lock)
        {
            return _stats.TryGetValue(scope, out var stats) ? stats.State(scope) : null;
        }
    }

    public JoinFigures? Figures(JoinScope scope)
    {
        lock (_lock)
        {
            return _stats.TryGetValue(scope, out var stats) ? stats.Figures(scope) : null;
        }
    }

    public List<JoinFigures> FiguresAll()
    {
        List<JoinFigures> all;
        lock (_lock)
        {
            all = [.. _stats.Select(pair => pair.Value.Figures(pair.Key))];
        }

        all.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Scope.Namespace, b.Scope.Namespace);
            return c != 0 ? c : string.CompareOrdinal(a.Scope.Deployment, b.Scope.Deployment);
        });
        return all;
    }

    /// <summary>Forgets everything (a log reloading its state).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _lastIds = null;
            _released = [];
            Count = 0;
            _stats.Clear();
            _oldest = _newest = null;
            LastStamp = 0;
        }
    }

    private static void CountStep(JoinScopeStats stats, JoinStep step, RequestEntry? before, RequestEntry? after)
    {
        switch (step)
        {
            case JoinStep.Pended:
                stats.Totals.ResponsesSeen++;
                stats.PendingResponses++;
                stats.Estimator.Pending(after!.Response!, +1);
                break;
            case JoinStep.ResponseRefused:
                stats.Totals.DuplicateResponses++;
                break;
            case JoinStep.Parked:
                stats.ParkedTruths++;
                break;
            case JoinStep.ParkedReplaced:
                stats.Totals.Corrections++;
                break;
            case JoinStep.ResponseJoined:
                stats.Totals.ResponsesSeen++;
                stats.ParkedTruths--;
                stats.JoinedHeld++;
                stats.Totals.Joined++;
                stats.Delay.Add(0);
                stats.Estimator.Joined(after!.Rows(), +1);
                break;
            case JoinStep.TruthJoined:
                var counted = after!.Rows();
                stats.PendingResponses--;
                stats.JoinedHeld++;
                stats.Totals.Joined++;
                stats.Delay.Add(Math.Max(0, (after.TruthArrived - after.ResponseArrived).TotalSeconds));
                stats.Estimator.Pending(before!.Response!, -1);
                stats.Estimator.Realize(counted);
                stats.Estimator.Joined(counted, +1);
                break;
            case JoinStep.Corrected:
                stats.Totals.Corrections++;
                stats.Estimator.Joined(before!.Rows(), -1);
                stats.Estimator.Joined(after!.Rows(), +1);
                break;
            default:
                Forgotten(stats, step, before!);
                break;
        }
    }

    private static void Forgotten(JoinScopeStats stats, JoinStep step, RequestEntry entry)
    {
        var counted = step != JoinStep.Dropped;
        if (entry.IsJoined)
        {
            stats.JoinedHeld--;
            stats.Totals.ForgottenJoins += counted ? 1 : 0;
        }
        else if (entry.Response is not null)
        {
            stats.PendingResponses--;
            stats.Estimator.Pending(entry.Response, -1);
            stats.Totals.ExpiredResponses += step == JoinStep.Expired ? 1 : 0;
            stats.Totals.EvictedResponses += step == JoinStep.Evicted ? 1 : 0;
        }
        else
        {
            stats.ParkedTruths--;
            stats.Totals.ExpiredTruths += step == JoinStep.Expired ? 1 : 0;
            stats.Totals.EvictedTruths += step == JoinStep.Evicted ? 1 : 0;
        }
    }

    /// <summary>The request ids held of a deployment (a table kept once made: deployments are few).</summary>
    private Dictionary<string, Node> IdsOf(JoinScope scope)
    {
        // Entries come in runs of one deployment (a load of many, a group): its strings are then the very same instances.
        if (_lastIds is { } last && ReferenceEquals(last.Scope.Namespace, scope.Namespace) && ReferenceEquals(last.Scope.Deployment, scope.Deployment))
        {
            return last.Ids;
        }

        if (!_entries.TryGetValue(scope, out var ids))
        {
            ids = new Dictionary<string, Node>(StringComparer.Ordinal);
            _entries.Add(scope, ids);
        }

        _lastIds = (scope, ids);
        return ids;
    }

    private JoinScopeStats StatsLocked(JoinScope scope)
    {
        if (!_stats.TryGetValue(scope, out var stats))
        {
            stats = new JoinScopeStats();
            _stats.Add(scope, stats);
        }

        return stats;
    }
}
