using FeedbackMetrics.Server.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FeedbackMetrics.Server.Hosting;

/// <summary><c>/healthz</c> (the process answers), <c>/ready</c> (state restored, storage writable) and <c>/protocol</c>.</summary>
public static class HealthEndpoints
{
    public const string Protocol = "seldonfeedback.http";

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/ready", (Readiness readiness) => readiness.NotReadyReason is { } reason
            ? Results.Text($"not ready: {reason}", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready"));
        app.MapGet("/protocol", () => Results.Text(Protocol));
    }
}
