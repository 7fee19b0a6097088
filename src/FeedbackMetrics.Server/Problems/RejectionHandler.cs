using FeedbackMetrics.Core;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Problems;

/// <summary>The one place where refusals become RFC 9457 problem details, are logged (one line each) and counted.</summary>
public sealed class RejectionHandler(IProblemDetailsService problems, ServerCounters counters, ILogger<RejectionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a sender is asked to wait when storage is unavailable.</summary>
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A client that went away mid-body (a broker timing out, a load balancer closing) is not a bad event: it
        // is counted as aborted, with no warning line each and no answer nobody would read.
        if (exception is ClientGoneException || httpContext.RequestAborted.IsCancellationRequested)
        {
            counters.CountAborted();
            Log.RequestAborted(logger, (exception.InnerException ?? exception).Message);
            return true;
        }

        var (status, title) = exception switch
        {
            InvalidFeedbackException { Kind: RejectionKind.LimitExceeded } => (StatusCodes.Status422UnprocessableEntity, "Limit exceeded"),
            InvalidFeedbackException => (StatusCodes.Status400BadRequest, "Invalid feedback"),
            RequestRejectedException r => (r.Status, r.Title),
            BadHttpRequestException b => (b.StatusCode, "Bad request"),
            StorageUnavailableException => (StatusCodes.Status503ServiceUnavailable, "Storage unavailable"),
            _ => (0, ""),
        };
        if (status == 0)
        {
            return false;
        }

        var request = httpContext.Request;
        var source = request.Headers["ce-source"].ToString();
        var id = request.Headers["ce-id"].ToString();

        // Only deliveries are events: a refused read (GET /v1/metrics?format=…) is answered alike but not counted.
        var isEvent = HttpMethods.IsPost(request.Method);
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (isEvent)
            {
                counters.CountUnavailable();
            }
        }
        else if (isEvent)
        {
            counters.CountRejected();
            Log.EventRejected(logger, status, source.Length > 0 ? source : "-", id.Length > 0 ? id : "-", exception.Message);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = exception.Message },
        });
    }
}
