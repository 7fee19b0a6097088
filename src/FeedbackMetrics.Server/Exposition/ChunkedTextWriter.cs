using System.Buffers;
using System.Text;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>Collects text and writes it to a stream asynchronously in chunks of about 32 K characters (Kestrel forbids synchronous writes).</summary>
internal sealed class ChunkedTextWriter(Stream output)
{
    private const int ChunkChars = 32 * 1024;
    private readonly StringBuilder _text = new(ChunkChars * 2);

    public ChunkedTextWriter Append(string? value)
    {
        _text.Append(value);
        return this;
    }

    public ChunkedTextWriter Append(char value)
    {
        _text.Append(value);
        return this;
    }

    public ValueTask FlushIfLargeAsync(CancellationToken cancellationToken) =>
        _text.Length >= ChunkChars ? FlushAsync(cancellationToken) : ValueTask.CompletedTask;

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(_text.Length));
        try
        {
            var length = 0;
            foreach (var chunk in _text.GetChunks())
            {
                length += Encoding.UTF8.GetBytes(chunk.Span, bytes.AsSpan(length));
            }

            _text.Clear();
            await output.WriteAsync(bytes.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
