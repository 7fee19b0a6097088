using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Server.Alerts;
using FeedbackMetrics.Server.Json;
using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Prometheus;

namespace FeedbackMetrics.Server.Exposition;

/// <summary><c>GET /v1/metrics</c>: Prometheus text by default, the JSON view with <c>?format=json</c> or <c>Accept: application/json</c>.</summary>
public static class MetricsEndpoints
{
    public static void MapMetricsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/metrics", WriteMetricsAsync);
    }

    private static async Task WriteMetricsAsync(HttpContext context, CollectorRegistry registry, DomainExposition domain, JsonView view, AlertBoard alerts, IOptions<AlertOptions> alertOptions, IJoinFigures join)
    {
        var request = context.Request;
        var format = request.Query["format"].ToString();
        var wantsJson = format.Equals("json", StringComparison.OrdinalIgnoreCase)
            || (format.Length == 0 && request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)));
        if (wantsJson)
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            var firing = string.IsNullOrEmpty(alertOptions.Value.RulesFile)
                ? null
                : alerts.Firing.Where(a => Matches(request, a.Key)).Select(AlertView).ToList();
            var joins = join.FiguresAll()
                .Where(f => Matches(request, new Core.Identity.MetricKey(f.Scope.Namespace, f.Scope.Deployment, "", "")) && request.Query["predictor"].Count == 0 && request.Query["model"].Count == 0)
                .OrderBy(f => f.Scope.Namespace, StringComparer.Ordinal).ThenBy(f => f.Scope.Deployment, StringComparer.Ordinal)
                .Select(DeploymentJoin.Of)
                .ToList();
            await view.WriteAsync(context.Response.BodyWriter, key => Matches(request, key), firing, joins.Count > 0 ? joins : null, context.RequestAborted);
            return;
        }

        if (format.Length > 0 && !format.Equals("prometheus", StringComparison.OrdinalIgnoreCase))
        {
            throw new Problems.RequestRejectedException(StatusCodes.Status400BadRequest, "Unknown format", $"format={format} is not served; use json or prometheus.");
        }

        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        context.Response.Headers.Vary = "Accept-Encoding";
        using var head = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(head, context.RequestAborted);

        // Prometheus asks for gzip: the models' series go compressed once per change.
        var gzip = request.Headers.AcceptEncoding.Any(e => e is not null && e.Contains("gzip", StringComparison.OrdinalIgnoreCase));
        if (gzip)
        {
            context.Response.Headers.ContentEncoding = "gzip";
        }

        await domain.WriteAsync(context.Response.Body, head.ToArray(), gzip, context.RequestAborted);
    }

    private static AlertBody AlertView(Core.Alerts.FiringAlert a) => AlertEvents.Body(new Core.Alerts.AlertTransition(a.Rule, a.Key, true, a.Reading, a.Since, a.Since));

    /// <summary>Optional filters of the JSON view: namespace, deployment, predictor, model.</summary>
    private static bool Matches(HttpRequest request, Core.Identity.MetricKey key)
    {
        static bool Is(HttpRequest r, string name, string value) => r.Query[name] is { Count: > 0 } v ? v.ToString() == value : true;
        return Is(request, "namespace", key.Namespace) && Is(request, "deployment", key.Deployment)
            && Is(request, "predictor", key.Predictor) && Is(request, "model", key.Model);
    }
}
