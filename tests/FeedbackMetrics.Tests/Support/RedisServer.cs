using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// A throwaway <c>redis-server</c> on a free loopback port, its data in a temporary directory: no RDB snapshots, an
/// append-only file fsynced before every reply (<c>appendfsync always</c>, what the README recommends), so a stop and
/// a start on the same directory show what survives. Optionally one node of a cluster.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly bool _cluster;
    private Process? _process;

    private RedisServer(int port, string dir, bool cluster)
    {
        Port = port;
        _dir = dir;
        _cluster = cluster;
    }

    public int Port { get; }

    /// <summary>What <c>--state</c> takes to use this server.</summary>
    public string Url => $"redis://127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync(bool cluster = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var server = new RedisServer(FreePort(cluster), dir, cluster);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the process (again) on the same port and directory, and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Tools.RedisServer) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        string[] args =
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _dir,
            "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--logfile", Path.Combine(_dir, "redis.log"),
            .. _cluster ? (string[])["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"] : [],
        ];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        for (var i = 0; i < 200; i++)
        {
            if (_process.HasExited)
            {
                Assert.Fail($"redis-server exited with {_process.ExitCode}: {Log()}");
            }

            if (Cli("PING").Trim() == "PONG")
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"redis-server did not answer on port {Port}: {Log()}");
    }

    /// <summary>Runs redis-cli against this server; returns what it printed.</summary>
    public string Cli(params string[] args) => Binaries.Run(Tools.RedisCli, ["-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]).Output;

    /// <summary>SIGKILL: Redis gets no chance to write anything more.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Log()
    {
        var log = Path.Combine(_dir, "redis.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no log)";
    }

    /// <summary>A free port; for a cluster node also its bus port (port + 10000) must be free.</summary>
    private static int FreePort(bool cluster)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = cluster ? Random.Shared.Next(20000, 30000) : 0;
            try
            {
                using var a = new TcpListener(IPAddress.Loopback, port);
                a.Start();
                port = ((IPEndPoint)a.LocalEndpoint).Port;
                if (!cluster)
                {
                    return port;
                }

                using var bus = new TcpListener(IPAddress.Loopback, port + 10000);
                bus.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("No free port for redis-server.");
    }
}
