using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FeedbackMetrics.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FeedbackMetrics.Tests.Support;

/// <summary>The one server-starting helper of the integration tests: real Kestrel on 127.0.0.1, a free port, its own state dir.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly bool _ownsStateDir;
    private int _disposed;

    private RunningServer(WebApplication app, string stateDir, bool ownsStateDir)
    {
        _app = app;
        _ownsStateDir = ownsStateDir;
        StateDir = stateDir;
        BaseAddress = ServerApp.BoundAddress(app);
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public string StateDir { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server with Seldon-style arguments (port, bind address and state dir are added) and waits until it is ready.</summary>
    public static async Task<RunningServer> StartAsync(IEnumerable<string>? args = null, Action<WebApplicationBuilder>? customize = null, string? stateDir = null, bool waitReady = true)
    {
        var ownsStateDir = stateDir is null;
        stateDir ??= Path.Combine(Path.GetTempPath(), "fm-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(stateDir);
        string[] all = ["--http_port", "0", "--bind_address", "127.0.0.1", "--state_dir", stateDir, .. args ?? []];
        var app = ServerApp.Build(all, customize) ?? throw new InvalidOperationException("--help given");
        await app.StartAsync();
        var server = new RunningServer(app, stateDir, ownsStateDir);
        if (waitReady)
        {
            await server.WaitReadyAsync();
        }

        return server;
    }

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public async Task WaitReadyAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            using var response = await Client.GetAsync("/ready");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException("The server did not become ready.");
    }

    public Task<HttpResponseMessage> PostBinaryAsync(string body, string id, string type = Events.FeedbackType, string source = "test", IDictionary<string, string>? extensions = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", type);
        request.Headers.Add("ce-source", source);
        request.Headers.Add("ce-id", id);
        foreach (var (name, value) in extensions ?? new Dictionary<string, string>())
        {
            request.Headers.Add("ce-" + name, value);
        }

        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> PostRawAsync(string body, string contentType, IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return Client.SendAsync(request);
    }

    public async Task<JsonObject> MetricsJsonAsync()
    {
        var text = await Client.GetStringAsync("/v1/metrics?format=json");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task<string> MetricsJsonTextAsync() => await Client.GetStringAsync("/v1/metrics?format=json");

    public async Task<PrometheusText> PrometheusAsync() => PrometheusText.Parse(await Client.GetStringAsync("/v1/metrics"));

    /// <summary>Stops the server (gracefully) and deletes its state directory; a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (!_ownsStateDir)
        {
            return;
        }

        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static JsonElement ParseJson(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
