using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>The token's subject is one of those allowed: <c>--oidc_subjects</c> for senders, <c>--read_subjects</c> for readers (any when empty).</summary>
public sealed record SubjectRequirement(bool ForReaders) : IAuthorizationRequirement;

/// <summary>Checks <see cref="SubjectRequirement"/> against the configured subjects.</summary>
internal sealed class SubjectRequirementHandler(IOptions<SecurityOptions> options) : AuthorizationHandler<SubjectRequirement>
{
    private readonly HashSet<string> _senders = new(options.Value.OidcSubjects, StringComparer.Ordinal);
    private readonly HashSet<string> _readers = new(options.Value.ReadSubjects, StringComparer.Ordinal);

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, SubjectRequirement requirement)
    {
        var allowed = requirement.ForReaders ? _readers : _senders;
        var subject = context.User.FindFirst(JwtBearerSetup.SubjectClaim)?.Value;
        if (subject is not null && (allowed.Count == 0 || allowed.Contains(subject)))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, $"Subject '{subject}' is not among {(requirement.ForReaders ? "--read_subjects" : "--oidc_subjects")}."));
        }

        return Task.CompletedTask;
    }
}
