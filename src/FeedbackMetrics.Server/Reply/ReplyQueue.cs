using System.Threading.Channels;
using CloudNative.CloudEvents;
using FeedbackMetrics.Server.Exposition;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Reply;

/// <summary>
/// The bounded queue between ingest and the reply sender: ingest never waits on the reply URL; when the
/// queue is full the newest metric event is dropped and counted.
/// </summary>
public sealed class ReplyQueue
{
    private readonly Channel<CloudEvent> _channel;
    private readonly ServerCounters _counters;

    public ReplyQueue(IOptions<ReplyOptions> options, ServerCounters counters)
    {
        _counters = counters;
        Enabled = options.Value.ParsedUrl is not null;
        _channel = Channel.CreateBounded<CloudEvent>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    /// <summary>False when no --reply_url is set: nothing is queued.</summary>
    public bool Enabled { get; }

    public ChannelReader<CloudEvent> Reader => _channel.Reader;

    public int Depth => _channel.Reader.Count;

    public void Enqueue(CloudEvent reply)
    {
        if (!Enabled)
        {
            return;
        }

        if (!_channel.Writer.TryWrite(reply))
        {
            _counters.CountReply(ReplyResult.Dropped);
        }
    }

    public void Complete() => _channel.Writer.TryComplete();
}
