using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>
/// <c>DELETE /v1/metrics/{namespace}/{deployment}/{predictor}[/{model}]</c>: forgets the figures of one
/// predictor (all its models) or one model, e.g. when a new model version is rolled out. Needs the admin token.
/// </summary>
public static class AdminEndpoints
{
    public static void MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapDelete("/v1/metrics/{ns}/{deployment}/{predictor}/{model?}", ResetAsync);
    }

    private static async Task<IResult> ResetAsync(
        string ns,
        string deployment,
        string predictor,
        string? model,
        HttpContext context,
        AdminToken token,
        MetricsBook book,
        IFeedbackStore store,
        ILoggerFactory loggers)
    {
        if (!token.Enabled)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Reset disabled", detail: "Reset is disabled: start the server with --admin_token_file.");
        }

        if (!token.Accepts(context.Request.Headers.Authorization))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized", detail: "Send the admin token as 'Authorization: Bearer <token>'.");
        }

        var keys = book.SnapshotAll()
            .Select(s => s.Key)
            .Where(k => k.Namespace == ns && k.Deployment == deployment && k.Predictor == predictor && (model is null || k.Model == model))
            .ToList();
        var removed = keys.Count == 0 ? 0 : await store.ResetAsync(keys, CancellationToken.None);
        Log.KeysReset(loggers.CreateLogger("FeedbackMetrics.Server.Admin"), removed, ns, deployment, predictor, model ?? "*");
        return removed == 0
            ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such key", detail: $"No figures are kept for {ns}/{deployment}/{predictor}/{model ?? "*"}.")
            : Results.Ok(new ResetResult(removed));
    }
}

