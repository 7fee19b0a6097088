using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Options;

/// <summary>One rule on one option's value: <c>problem</c> says what is wrong, or null when nothing is.</summary>
internal sealed class OptionRule<T>(string option, Func<T, string?> problem, string? remedy, IConfiguration configuration) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options) =>
        problem(options) is { } what ? ValidateOptionsResult.Fail(OptionCatalog.Line(option, what, remedy, configuration)) : ValidateOptionsResult.Success;
}
