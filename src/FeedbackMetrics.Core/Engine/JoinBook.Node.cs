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

    private void Append(Node node)
    {
        node.Prev = _newest;
        node.Next = null;
        if (_newest is null)
        {
            _oldest = node;
        }
        else
        {
            _newest.Next = node;
        }

        _newest = node;
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
