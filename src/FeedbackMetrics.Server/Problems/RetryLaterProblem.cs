using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace FeedbackMetrics.Server.Problems;

/// <summary>The one way a limiter refuses before the body is read: a problem+json with <c>Retry-After</c>, which Knative honours.</summary>
public static class RetryLaterProblem
{
    public static async ValueTask WriteAsync(HttpContext http, int status, string title, string detail, int retryAfterSeconds)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
