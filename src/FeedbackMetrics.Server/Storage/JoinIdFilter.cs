using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using FeedbackMetrics.Core.Join;

namespace FeedbackMetrics.Server.Storage;

/// <summary>
/// A Bloom filter of join entry ids (namespace, deployment, request id): it answers "certainly absent" or "perhaps
/// present", and is never wrong about an id that was added. A new response's request id is almost never on disk, so the
/// filter spares it the point lookup. Its size is fixed at creation — about <see cref="BitsPerEntry"/> bits for each of
/// <see cref="Capacity"/> entries, whatever the number later held — and it cannot forget an id: once as many ids were
/// added as it was sized for, its owner builds a new one (<see cref="Full"/>). Blocked: all probes of one id fall into
/// one 512-bit block, one cache line. Not thread-safe: its owner locks.
/// </summary>
internal sealed class JoinIdFilter
{
    /// <summary>Bits per entry of the capacity: at a load of one capacity about 0.1 % of absent ids are "perhaps present", at two about 2 %.</summary>
    public const int BitsPerEntry = 16;

    private const int WordsPerBlock = 8;
    private const int Probes = 8;
    private const int StackChars = 256;

    private readonly ulong[] _words;
    private readonly ulong _blocks;

    public JoinIdFilter(int capacity)
    {
        Capacity = Math.Max(capacity, 1);
        _blocks = (ulong)Math.Max(1, ((long)Capacity * BitsPerEntry) / (WordsPerBlock * 64));
        _words = new ulong[_blocks * WordsPerBlock];
    }

    /// <summary>How many ids the filter is sized for.</summary>
    public int Capacity { get; }

    /// <summary>How many ids were added (an id added twice counts twice).</summary>
    public long Added { get; private set; }

    /// <summary>As many ids were added as it was sized for: past this, absent ids look present ever more often.</summary>
    public bool Full => Added >= Capacity;

    /// <summary>The hash an id is added and looked up by; one for both filters while a new one is being built.</summary>
    public static UInt128 HashOf(JoinScope scope, string requestId)
    {
        var length = scope.Namespace.Length + scope.Deployment.Length + requestId.Length + 2;
        char[]? rented = null;
        var chars = length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(length));
        try
        {
            // Separated, so that ("ab", "c") and ("a", "bc") differ; a collision would only cost a lookup anyway.
            scope.Namespace.CopyTo(chars);
            var at = scope.Namespace.Length;
            chars[at++] = '\0';
            scope.Deployment.CopyTo(chars[at..]);
            at += scope.Deployment.Length;
            chars[at++] = '\0';
            requestId.CopyTo(chars[at..]);
            return XxHash128.HashToUInt128(MemoryMarshal.AsBytes(chars[..length]));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    public void Add(UInt128 hash)
    {
        var (block, bits) = Locate(hash);
        for (var i = 0; i < Probes; i++, bits >>= 9)
        {
            var bit = (int)(bits & 511);
            _words[block + (bit >> 6)] |= 1UL << (bit & 63);
        }

        Added++;
    }

    /// <summary>False: the id was certainly never added. True: perhaps it was.</summary>
    public bool MayContain(UInt128 hash)
    {
        var (block, bits) = Locate(hash);
        for (var i = 0; i < Probes; i++, bits >>= 9)
        {
            var bit = (int)(bits & 511);
            if ((_words[block + (bit >> 6)] & (1UL << (bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first word of the id's block (from the high 32 bits of the low half), and 72 bits for its probes' positions.</summary>
    private (long Block, UInt128 Bits) Locate(UInt128 hash)
    {
        var low = (ulong)hash;
        var block = (long)(((low >> 32) * _blocks) >> 32) * WordsPerBlock;
        return (block, (hash >> 64) | ((UInt128)(low & 0xFF) << 64));
    }
}
