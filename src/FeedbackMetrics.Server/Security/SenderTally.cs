using FeedbackMetrics.Server.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace FeedbackMetrics.Server.Security;

/// <summary>Counts each counted event under the verified subject of the request that brought it, so a poisoned figure can be traced.</summary>
internal sealed class SenderTally(IHttpContextAccessor accessor, SecurityCounters counters) : IAcceptedEventObserver
{
    public void Accepted()
    {
        if (accessor.HttpContext?.User.FindFirst(JwtBearerSetup.SubjectClaim)?.Value is { } subject)
        {
            counters.CountSenderEvent(subject);
        }
    }
}
