using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>The store contract on the Redis store against a real three-node Redis Cluster (all of a server's keys in one hash slot).</summary>
[Category("Redis")]
public sealed class RedisClusterStoreContractTests : StoreContract
{
    private RedisCluster? _cluster;

    protected override bool Durable => true;

    [OneTimeSetUp]
    public async Task StartClusterAsync() => _cluster = await RedisCluster.StartAsync();

    [OneTimeTearDown]
    public async Task StopClusterAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    protected override (IFeedbackStore Store, IJoinFigures Join) Create(MetricsBook book, string state, bool outbox) =>
        EngineStoreOver(book, RedisStores.Log(_cluster!.Url, state, outbox), outbox);

    [Test]
    public async Task Two_stores_with_different_prefixes_live_in_different_slots_and_keep_apart()
    {
        var (store, book) = await OpenAsync();
        var other = new MetricsBook(MaxKeys, MaxClasses);
        var (otherStore, _) = RedisStores.Create(other, _cluster!.Url, State + "-other", outbox: false);
        await using var _ = otherStore;
        await otherStore.InitializeAsync(default);

        await store.ApplyAsync([Event("1", "d1"), Event("2", "d2")], default);
        var again = await otherStore.ApplyAsync([Event("1", "d1")], default);

        Assert.That(again[0].Outcome, Is.EqualTo(ApplyOutcome.Applied), "another prefix is another state");
        Assert.That((Count(book), Count(other)), Is.EqualTo((2L, 1L)));
        var slots = _cluster.Nodes.Select(n => n.Cli("CLUSTER", "KEYSLOT", "{test-" + State + "}").Trim()).Distinct().ToList();
        Assert.That(slots, Has.Count.EqualTo(1));
        var owners = _cluster.Nodes.Count(n => n.Cli("CLUSTER", "COUNTKEYSINSLOT", slots[0]).Trim() != "0");
        Assert.That(owners, Is.EqualTo(1), "every key of one state is on one node, in one slot");
    }
}
