namespace FeedbackMetrics.Core;

/// <summary>Why a feedback event was refused; decides the HTTP status in one place in the host.</summary>
public enum RejectionKind
{
    /// <summary>The event or its payload is malformed: 400.</summary>
    Malformed,

    /// <summary>Well formed, but asks for more than the configured limits allow: 422.</summary>
    LimitExceeded,
}

/// <summary>Bad input, with a reason a user can act on. Nothing has been changed when it is thrown.</summary>
public sealed class InvalidFeedbackException(RejectionKind kind, string reason) : Exception(reason)
{
    public RejectionKind Kind { get; } = kind;
}
