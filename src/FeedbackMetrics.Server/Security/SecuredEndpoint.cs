namespace FeedbackMetrics.Server.Security;

/// <summary>Endpoint metadata naming what a protected endpoint is for: its refusals are shaped, counted and rate-limited by it.</summary>
public sealed record SecuredEndpoint(string Name)
{
    /// <summary><c>POST /</c>: events from senders.</summary>
    public static readonly SecuredEndpoint Ingest = new("ingest");

    /// <summary><c>GET /v1/metrics</c> (and the web view when it exists): figures for readers.</summary>
    public static readonly SecuredEndpoint Reads = new("reads");
}
