using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace FeedbackMetrics.Tests.Support;

/// <summary>The real server as a child process (<c>dotnet FeedbackMetrics.Server.dll</c>), for crash and shutdown tests.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public HttpClient Client { get; }

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static Task<ServerProcess> StartAsync(string stateDir, params string[] args) => StartCoreAsync([DefaultDll], stateDir, null, args);

    /// <summary>Starts a given build of the server; without a state dir, the environment's (or the default) is used.</summary>
    public static Task<ServerProcess> StartAsync(string dll, string? stateDir, params string[] args) => StartCoreAsync([dll], stateDir, null, args);

    /// <summary>Starts the server in a working directory of the test's choice, with the default state dir.</summary>
    public static Task<ServerProcess> StartInAsync(string workingDirectory, params string[] args) => StartCoreAsync([DefaultDll], null, workingDirectory, args);

    /// <summary>
    /// Starts the server as a developer does, <c>dotnet run --project src/FeedbackMetrics.Server</c> typed in
    /// <paramref name="workingDirectory"/>, on the build the tests run against (<c>--no-build</c>).
    /// </summary>
    public static Task<ServerProcess> StartWithDotnetRunAsync(string workingDirectory, params string[] args) =>
        StartCoreAsync(["run", "--no-build", "-c", BuildConfiguration, "--project", Tools.InRepo("src", "FeedbackMetrics.Server"), "--"], null, workingDirectory, args);

    /// <summary>
    /// Runs the server with exactly these arguments until it exits by itself (a start-up mistake), within a generous
    /// deadline: its exit code and what it wrote to stdout and stderr.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[DefaultDll, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"The server did not exit by itself:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    private static string DefaultDll => Path.Combine(AppContext.BaseDirectory, "FeedbackMetrics.Server.dll");

    private static async Task<ServerProcess> StartCoreAsync(string[] command, string? stateDir, string? workingDirectory, string[] args)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        string[] state = stateDir is null ? [] : ["--state_dir", stateDir];
        foreach (var arg in (string[])[.. command, "--http_port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind_address", "127.0.0.1", .. state, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        var server = new ServerProcess(Process.Start(start)!, port);
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>SIGKILL: no chance to flush or close anything (the whole tree: <c>dotnet run</c> starts the server as its child).</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as Kubernetes sends at the start of a pod's grace period; waits for the exit.</summary>
    public async Task TerminateAsync(TimeSpan grace)
    {
        if (SendSignal(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException("kill(SIGTERM) failed");
        }

        using var cts = new CancellationTokenSource(grace);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync("/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or IOException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The server did not become ready:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
