using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>
/// The equivalence test on the engine with the Redis log, against a real redis-server: every group is one commit to
/// the stream; a graceful restart starts from the snapshot the stop wrote (and the log after it), a crash from the
/// previous snapshot and the whole log since. Metric events are left out (<see cref="PostsReplies"/>).
/// </summary>
[Category("Redis")]
public sealed class RedisEngineEquivalenceTests : EngineEquivalence
{
    private RedisServer? _redis;

    protected override bool Durable => true;

    protected override bool PostsReplies => false;

    [OneTimeSetUp]
    public async Task StartRedisAsync() => _redis = await RedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedisAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    protected override OpenedStore Open(string state)
    {
        var log = new CrashOnStopLog(RedisStores.Log(_redis!.Url, state, outbox: false));
        return EngineStoreOver(log, crash => log.Crash = crash);
    }
}
