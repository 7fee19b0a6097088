using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FeedbackMetrics.Tests.Support;

/// <summary>
/// A throwaway <c>redis-server</c> on a free loopback port, its data in a temporary directory: no RDB snapshots, an
/// append-only file fsynced before every reply (<c>appendfsync always</c>, what docs/redis.md recommends), so a stop and
/// a start on the same directory show what survives. Optionally one node of a cluster.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly bool _cluster;
    private readonly string? _password;
    private readonly RedisTls? _tls;
    private readonly int? _replicaOf;
    private readonly int _nodeTimeoutMs;
    private Process? _process;

    private RedisServer(int port, string dir, bool cluster, string? password, RedisTls? tls, int? replicaOf, int nodeTimeoutMs)
    {
        _replicaOf = replicaOf;
        _nodeTimeoutMs = nodeTimeoutMs;
        Port = port;
        _dir = dir;
        _cluster = cluster;
        _password = password;
        _tls = tls;
    }

    public int Port { get; }

    /// <summary>Whether the process runs (false after <see cref="KillAsync"/>, until <see cref="StartAgainAsync"/>).</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What <c>--state</c> takes to use this server.</summary>
    public string Url => $"{(_tls is null ? "redis" : "rediss")}://127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server; with a password it requires one, with TLS files it speaks TLS only; with
    /// <paramref name="replicaOf"/> it is a replica of the server on that port. A cluster node counts another node
    /// as failing after <paramref name="nodeTimeoutMs"/> without an answer (<c>cluster-node-timeout</c>).
    /// </summary>
    public static async Task<RedisServer> StartAsync(bool cluster = false, string? password = null, RedisTls? tls = null, int? replicaOf = null, int nodeTimeoutMs = 2000)
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var server = new RedisServer(FreePort(cluster), dir, cluster, password, tls, replicaOf, nodeTimeoutMs);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the process (again) on the same port and directory, and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Tools.RedisServer) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        var port = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] args =
        [
            .. _tls is null ? (string[])["--port", port] : ["--port", "0", "--tls-port", port, "--tls-cert-file", _tls.CertFile, "--tls-key-file", _tls.KeyFile, "--tls-ca-cert-file", _tls.CaFile, "--tls-auth-clients", "no"],
            .. _password is null ? [] : (string[])["--requirepass", _password],
            "--bind", "127.0.0.1", "--dir", _dir,
            "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no", "--logfile", Path.Combine(_dir, "redis.log"),
            .. _cluster ? (string[])["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", _nodeTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [],
            .. _replicaOf is { } primary ? (string[])["--replicaof", "127.0.0.1", primary.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [],
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
    public string Cli(params string[] args) => Binaries.Run(
        Tools.RedisCli,
        [
            "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. _password is null ? [] : (string[])["--no-auth-warning", "-a", _password],
            .. _tls is null ? [] : (string[])["--tls", "--cacert", _tls.CaFile],
            .. args,
        ]).Output;

    /// <summary>SIGKILL: Redis gets no chance to write anything more.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Deletes the data files of a stopped server: the next start begins empty, as a Redis run without persistence does.</summary>
    public void WipeData()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(_dir).Where(e => !e.EndsWith(".log", StringComparison.Ordinal)))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
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

/// <summary>PEM files for a TLS redis-server: a private CA and a certificate it issued for 127.0.0.1, in a temporary directory.</summary>
public sealed record RedisTls(string CaFile, string CertFile, string KeyFile)
{
    public static RedisTls Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fm-redis-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var now = DateTimeOffset.UtcNow;
        using var caKey = System.Security.Cryptography.RSA.Create(2048);
        var caRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=test redis CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509KeyUsageExtension(System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var key = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        var names = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.Create(ca, now.AddHours(-1), now.AddHours(1), System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

        var tls = new RedisTls(Path.Combine(dir, "ca.pem"), Path.Combine(dir, "redis.crt"), Path.Combine(dir, "redis.key"));
        File.WriteAllText(tls.CaFile, ca.ExportCertificatePem());
        File.WriteAllText(tls.CertFile, certificate.ExportCertificatePem());
        File.WriteAllText(tls.KeyFile, key.ExportPkcs8PrivateKeyPem());
        return tls;
    }
}
