using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Core.Engine;

/// <summary>The join's entries as a list by last change, each held decoded or as its stored bytes until first read.</summary>
public sealed partial class JoinBook
{
    private void Release(Node node)
    {
        if (node.StoredAt != 0)
        {
            _released.Add(node.StoredAt);
            node.StoredAt = 0;
        }
    }

    /// <summary>
    /// Puts a node in the list by its stamp (then deployment and request id, for equal stamps decided by different
    /// replicas): usually last. So the list's order follows from the entries alone, not from the order the change sets
    /// were applied in, which differs between replicas following logs kept per deployment.
    /// </summary>
    private void Append(Node node)
    {
        var after = _newest;
        while (after is not null && Before(node, after))
        {
            after = after.Prev;
        }

        node.Prev = after;
        node.Next = after is null ? _oldest : after.Next;
        if (node.Next is null)
        {
            _newest = node;
        }
        else
        {
            node.Next.Prev = node;
        }

        if (after is null)
        {
            _oldest = node;
        }
        else
        {
            after.Next = node;
        }
    }

    private static bool Before(Node a, Node b)
    {
        if (a.Stamp != b.Stamp)
        {
            return a.Stamp < b.Stamp;
        }

        var byScope = string.CompareOrdinal(a.Scope.ToString(), b.Scope.ToString());
        return byScope != 0 ? byScope < 0 : string.CompareOrdinal(a.RequestId, b.RequestId) < 0;
    }

    private void Unlink(Node node)
    {
        if (node.Prev is null)
        {
            _oldest = node.Next;
        }
        else
        {
            node.Prev.Next = node.Next;
        }

        if (node.Next is null)
        {
            _newest = node.Prev;
        }
        else
        {
            node.Next.Prev = node.Prev;
        }

        node.Prev = node.Next = null;
    }

    /// <summary>One entry in the list by last change: held decoded, or as stored bytes until first read.</summary>
    private sealed class Node
    {
        private RequestEntry? _entry;
        private IStoredEntries? _stored;
        private readonly int _at;

        public Node(JoinScope scope, string requestId, RequestEntry entry)
        {
            (Scope, RequestId) = (scope, requestId);
            Entry = entry;
        }

        public Node(JoinScope scope, string requestId, long stamp, IStoredEntries stored, int at) =>
            (Scope, RequestId, Stamp, _stored, _at) = (scope, requestId, stamp, stored, at);

        public JoinScope Scope { get; }

        public string RequestId { get; }

        /// <summary>The entry's stamp, known without decoding it.</summary>
        public long Stamp { get; private set; }

        /// <summary>Where a log keeps this version of the entry (<see cref="MarkStored"/>); 0 when it is not kept.</summary>
        public long StoredAt { get; set; }

        public RequestEntry Entry
        {
            get => Volatile.Read(ref _entry) ?? Decode();
            set
            {
                Volatile.Write(ref _entry, value);
                _stored = null;
                Stamp = value.Stamp;
            }
        }

        public Node? Prev { get; set; }

        public Node? Next { get; set; }

        /// <summary>Reads the stored bytes once; the bytes are let go. Two readers at once decode the same entry twice, harmlessly.</summary>
        private RequestEntry Decode()
        {
            if (Volatile.Read(ref _stored) is not { } stored)
            {
                return Volatile.Read(ref _entry)!;
            }

            var entry = stored.Read(_at);
            Volatile.Write(ref _entry, entry);
            _stored = null;
            return entry;
        }
    }
}
