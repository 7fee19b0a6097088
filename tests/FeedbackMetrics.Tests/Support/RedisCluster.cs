namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// A three-node Redis Cluster on loopback (three masters, no replicas, each a <see cref="RedisServer"/> with
/// <c>--cluster-enabled yes</c>), joined by <c>redis-cli --cluster create</c>; ready once every slot is served.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private RedisCluster(IReadOnlyList<RedisServer> nodes) => Nodes = nodes;

    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>What <c>--state</c> takes to use this cluster (every node listed).</summary>
    public string Url => "redis://" + string.Join(',', Nodes.Select(n => $"127.0.0.1:{n.Port}"));

    public static async Task<RedisCluster> StartAsync()
    {
        var nodes = new List<RedisServer>();
        for (var i = 0; i < 3; i++)
        {
            nodes.Add(await RedisServer.StartAsync(cluster: true));
        }

        var cluster = new RedisCluster(nodes);
        Tools.RunOk(Tools.RedisCli, ["--cluster", "create", .. nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", "0", "--cluster-yes"]);
        for (var i = 0; i < 200; i++)
        {
            if (nodes.All(n => n.Cli("CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal)))
            {
                return cluster;
            }

            await Task.Delay(50);
        }

        await cluster.DisposeAsync();
        Assert.Fail("The Redis Cluster did not reach cluster_state:ok.");
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }
}
