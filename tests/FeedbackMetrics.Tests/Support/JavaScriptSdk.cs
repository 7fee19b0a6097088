using System.Diagnostics;
using System.Text.Json.Nodes;

namespace FeedbackMetrics.Tests.Support;

/// <summary>Node and the JavaScript CloudEvents SDK (npm <c>cloudevents</c>), found in one place; runs the interop script against a server.</summary>
public sealed class JavaScriptSdk
{
    private const string Install = "bash scripts/install-test-deps.sh installs it";

    private JavaScriptSdk(string node, string package)
    {
        Node = node;
        Package = package;
    }

    public string Node { get; }

    /// <summary>The directory of the installed npm package <c>cloudevents</c>.</summary>
    public string Package { get; }

    public static string Script => Tools.InRepo("tests", "FeedbackMetrics.Tests", "Interop", "cloudevents-js-sdk.mjs");

    /// <summary>Finds node (20 or later, as the SDK requires) and the SDK, failing the test with what is missing and how to install it.</summary>
    public static JavaScriptSdk Find()
    {
        var node = Environment.GetEnvironmentVariable("NODE") ?? FindOnPath("node");
        if (node is null || !File.Exists(node))
        {
            Assert.Fail($"Missing node (Node.js 20 or later, Debian package nodejs) {(node is null ? "on PATH" : "at " + node)}; {Install}, or set NODE to its path.");
        }

        var (code, version) = Binaries.Run(node!, "--version");
        if (code != 0 || !int.TryParse(version.Trim().TrimStart('v').Split('.')[0], out var major) || major < 20)
        {
            Assert.Fail($"{node} --version gave '{version.Trim()}' (exit {code}); the JavaScript CloudEvents SDK needs Node.js 20 or later.");
        }

        var package = Environment.GetEnvironmentVariable("CLOUDEVENTS_SDK") ?? Tools.InRepo(".tools", "js", "node_modules", "cloudevents");
        if (!File.Exists(Path.Combine(package, "package.json")))
        {
            Assert.Fail($"Missing the npm package cloudevents (the JavaScript CloudEvents SDK) at {package}; {Install} into .tools/js, or set CLOUDEVENTS_SDK to the package directory.");
        }

        return new JavaScriptSdk(node!, package);
    }

    /// <summary>Runs the interop script in one mode (binary, structured or batch) against the server and returns its JSON summary and exit code.</summary>
    public async Task<(int ExitCode, JsonObject Summary, string Output)> RunAsync(Uri server, string mode, string? source = null)
    {
        var start = new ProcessStartInfo(Node) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Tools.RepoRoot };
        start.Environment["CLOUDEVENTS_SDK"] = Package;
        List<string> args = [Script, server.ToString(), mode];
        if (source is not null)
        {
            args.AddRange(["--source", source]);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"node {Path.GetFileName(Script)} {mode} did not finish within 60 s.");
        }

        var output = await stdout;
        var error = await stderr;
        JsonObject? summary = null;
        try
        {
            summary = JsonNode.Parse(output)?.AsObject();
        }
        catch (System.Text.Json.JsonException)
        {
        }

        if (summary is null)
        {
            Assert.Fail($"node {Path.GetFileName(Script)} {mode} exited {process.ExitCode} without a JSON summary:\n{output}\n{error}");
        }

        return (process.ExitCode, summary!, output + error);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
