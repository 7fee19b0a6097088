using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Security;

/// <summary>The log lines of sender verification and read protection, for an operator reading <c>kubectl logs</c>.</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 101, EventName = "RequestRefused", Level = LogLevel.Warning,
        Message = "Refused {Endpoint} request from {Remote} with {Status} ({Reason}), subject {Subject}{SubjectNote}: {Detail}")]
    public static partial void RequestRefused(ILogger logger, string endpoint, string remote, int status, string reason, string subject, string subjectNote, string detail);

    [LoggerMessage(EventId = 102, EventName = "IssuerUnavailable", Level = LogLevel.Error,
        Message = "The token issuer cannot be read at {Address}, tokens whose keys are not known yet are answered with 503: {Reason}")]
    public static partial void IssuerUnavailable(ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 103, EventName = "IssuerRecovered", Level = LogLevel.Information,
        Message = "The token issuer answers again at {Address}")]
    public static partial void IssuerRecovered(ILogger logger, string address);

    [LoggerMessage(EventId = 104, EventName = "SecurityStarted", Level = LogLevel.Information,
        Message = "Senders: {Senders}; reads: {Reads}; per-source limit: {RateLimit}")]
    public static partial void SecurityStarted(ILogger logger, string senders, string reads, string rateLimit);
}
