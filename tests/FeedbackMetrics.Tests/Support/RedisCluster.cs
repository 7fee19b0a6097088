using System.Diagnostics;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// A Redis Cluster of three masters on loopback, by default without replicas, or with one replica each; every node a
/// <see cref="RedisServer"/> with <c>--cluster-enabled yes</c>, joined by <c>redis-cli --cluster create</c>; ready once
/// every slot is served and every replica is linked to its master. A master can be killed (its replica takes over) and
/// started again (it comes back as a replica). Every wait polls a condition within a generous deadline: nothing here
/// depends on how fast the machine is.
/// </summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);
    private readonly int _masters;

    private RedisCluster(IReadOnlyList<RedisServer> nodes, int masters)
    {
        Nodes = nodes;
        _masters = masters;
    }

    /// <summary>Every node started, masters and replicas, running or killed.</summary>
    public IReadOnlyList<RedisServer> Nodes { get; }

    /// <summary>What <c>--state</c> takes to use this cluster (every node listed).</summary>
    public string Url => "redis://" + string.Join(',', Nodes.Select(n => $"127.0.0.1:{n.Port}"));

    /// <summary>The running nodes that are masters now and serve slots, each by its own word (<c>CLUSTER NODES</c>, its <c>myself</c> line).</summary>
    public IReadOnlyList<RedisServer> Masters =>
        [.. Nodes.Where(n => n.IsRunning && View(n).Single(line => line.Flags.Contains("myself")) is { HasSlots: true } self && self.Flags.Contains("master"))];

    /// <summary>
    /// Starts three masters with <paramref name="replicasPerMaster"/> replicas each; <paramref name="nodeTimeoutMs"/> is
    /// how long a silent master goes before its replica takes over (<c>cluster-node-timeout</c>).
    /// </summary>
    public static async Task<RedisCluster> StartAsync(int replicasPerMaster = 0, int nodeTimeoutMs = 2000)
    {
        const int Masters = 3;
        var nodes = new List<RedisServer>();
        for (var i = 0; i < Masters * (1 + replicasPerMaster); i++)
        {
            nodes.Add(await RedisServer.StartAsync(cluster: true, nodeTimeoutMs: nodeTimeoutMs));
        }

        var cluster = new RedisCluster(nodes, Masters);
        try
        {
            Tools.RunOk(Tools.RedisCli, ["--cluster", "create", .. nodes.Select(n => $"127.0.0.1:{n.Port}"), "--cluster-replicas", replicasPerMaster.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cluster-yes"]);
            await cluster.WaitHealthyAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until every running node says <c>cluster_state:ok</c> and sees every running node as healthy (no fail flag,
    /// no handshake), three masters serve the slots, and every running replica's link to its master is up.
    /// </summary>
    public Task WaitHealthyAsync() => WaitUntilAsync("a healthy cluster (every slot served, every running node known and up, every replica linked)", () =>
    {
        var running = Nodes.Where(n => n.IsRunning).ToList();
        foreach (var node in running)
        {
            if (!StateOk(node))
            {
                return false;
            }

            var view = View(node);
            var up = view.Where(l => !l.Flags.Any(f => f is "fail" or "fail?" or "handshake" or "noaddr")).Select(l => l.Port).ToHashSet();
            if (!running.All(n => up.Contains(n.Port)) || view.Count(l => l.HasSlots && l.Flags.Contains("master") && up.Contains(l.Port)) != _masters)
            {
                return false;
            }

            var self = view.Single(l => l.Flags.Contains("myself"));
            if (self.Flags.Contains("slave") && !node.Cli("INFO", "replication").Contains("master_link_status:up", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return Masters.Count == _masters;
    });

    /// <summary>The running replicas of a master, by the master's own view.</summary>
    public IReadOnlyList<RedisServer> ReplicasOf(RedisServer master)
    {
        var view = View(master);
        var id = view.Single(l => l.Flags.Contains("myself")).Id;
        var ports = view.Where(l => l.MasterId == id).Select(l => l.Port).ToHashSet();
        return [.. Nodes.Where(n => n.IsRunning && ports.Contains(n.Port))];
    }

    /// <summary>
    /// SIGKILLs a master and waits until one of its replicas was promoted, serves its slots in every running node's view,
    /// and every running node says <c>cluster_state:ok</c>. Returns the new master and how long the failover took.
    /// </summary>
    public async Task<(RedisServer Promoted, TimeSpan Took)> KillMasterAsync(RedisServer master)
    {
        var replicas = ReplicasOf(master);
        Assert.That(replicas, Is.Not.Empty, $"the master on {master.Port} has no replica to take over");
        var clock = Stopwatch.StartNew();
        await master.KillAsync();
        RedisServer? promoted = null;
        await WaitUntilAsync($"a replica of the killed master on {master.Port} promoted and cluster_state:ok on every running node", () =>
        {
            promoted = replicas.FirstOrDefault(r => Masters.Contains(r));
            return promoted is not null
                && Nodes.Where(n => n.IsRunning).All(n => StateOk(n) && View(n).Any(l => l.Port == promoted.Port && l.HasSlots && l.Flags.Contains("master")));
        });
        return (promoted!, clock.Elapsed);
    }

    /// <summary>Starts a killed node again on its data and cluster configuration and waits until the cluster is healthy with it (a former master comes back as a replica).</summary>
    public async Task RestartAsync(RedisServer node)
    {
        await node.StartAgainAsync();
        await WaitHealthyAsync();
    }

    /// <summary>The master that serves a key's slot now (a key with a hash tag: the slot of the tag).</summary>
    public RedisServer MasterOf(string key)
    {
        var slot = int.Parse(Nodes.First(n => n.IsRunning).Cli("CLUSTER", "KEYSLOT", key).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return Masters.Single(m => View(m).Single(l => l.Flags.Contains("myself")).Slots.Any(r => r.First <= slot && slot <= r.Last));
    }

    /// <summary>The figures of each master now: commands run, keys held, CPU used.</summary>
    public IReadOnlyList<RedisNodeFigures> MasterFigures() => [.. Masters.Select(RedisNodeFigures.Read)];

    /// <summary><c>CONFIG RESETSTAT</c> on every running node: the command figures start from zero.</summary>
    public void ResetStats()
    {
        foreach (var node in Nodes.Where(n => n.IsRunning))
        {
            Assert.That(node.Cli("CONFIG", "RESETSTAT").Trim(), Is.EqualTo("OK"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }

    private static bool StateOk(RedisServer node) => node.Cli("CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal);

    /// <summary>
    /// One node's <c>CLUSTER NODES</c>: <c>id ip:port@bus flags master-id ping pong epoch link slot…</c> per line.
    /// </summary>
    private static List<ViewLine> View(RedisServer node) =>
        [.. node.Cli("CLUSTER", "NODES").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(f => f.Length >= 8)
            .Select(f => new ViewLine(
                f[0],
                int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..f[1].IndexOf('@', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture),
                [.. f[2].Split(',')],
                f[3],
                [.. f.Skip(8).Where(r => !r.StartsWith('[')).Select(r => r.Split('-')).Select(r => (int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(r[^1], System.Globalization.CultureInfo.InvariantCulture)))]))];

    private async Task WaitUntilAsync(string what, Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Deadline)
            {
                Assert.Fail($"Waited {Deadline} for {what}. The running nodes' views:\n"
                    + string.Join("\n", Nodes.Where(n => n.IsRunning).Select(n => $"-- {n.Port}:\n{n.Cli("CLUSTER", "NODES")}{n.Cli("CLUSTER", "INFO").Split('\n')[0]}")));
            }

            await Task.Delay(50);
        }
    }

    private sealed record ViewLine(string Id, int Port, string[] Flags, string MasterId, (int First, int Last)[] Slots)
    {
        public bool HasSlots => Slots.Length > 0;
    }
}
