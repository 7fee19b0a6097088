using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Security;

/// <summary>Requests of the security tests: a feedback event with a chosen Authorization header, and the reason of a refusal.</summary>
public static class SecurityClient
{
    /// <summary>Posts the seed feedback event in binary mode with this Authorization header (none when null).</summary>
    public static Task<HttpResponseMessage> PostAsync(RunningServer server, string id, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(Events.SeedBody, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json");
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-type", Events.FeedbackType);
        request.Headers.Add("ce-source", "test");
        request.Headers.Add("ce-id", id);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return server.Client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> GetAsync(RunningServer server, string path, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return server.Client.SendAsync(request);
    }

    /// <summary>The <c>reason</c> of a problem+json refusal, after checking its media type and status field.</summary>
    public static async Task<string> ReasonAsync(HttpResponseMessage response)
    {
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)response.StatusCode));
        Assert.That(problem.RootElement.GetProperty("detail").GetString(), Is.Not.Empty);
        return problem.RootElement.GetProperty("reason").GetString()!;
    }
}
