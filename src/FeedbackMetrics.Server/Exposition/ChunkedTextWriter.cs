using System.Buffers;
using System.Text;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>Collects text and writes it to a stream asynchronously in chunks of about 32 K characters (Kestrel forbids synchronous writes).</summary>
internal sealed class ChunkedTextWriter(Stream output)
{
    private const int ChunkChars = 32 * 1024;

    /// <summary>What is written next: append to it, then <see cref="FlushIfLargeAsync"/>.</summary>
    public StringBuilder Text { get; } = new(ChunkChars * 2);

    public ValueTask FlushIfLargeAsync(CancellationToken cancellationToken) =>
        Text.Length >= ChunkChars ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Writes what is collected, then <paramref name="bytes"/> as they are.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await output.WriteAsync(bytes, cancellationToken);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (Text.Length == 0)
        {
            return;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(Text.Length));
        try
        {
            var length = 0;
            foreach (var chunk in Text.GetChunks())
            {
                length += Encoding.UTF8.GetBytes(chunk.Span, bytes.AsSpan(length));
            }

            Text.Clear();
            await output.WriteAsync(bytes.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
