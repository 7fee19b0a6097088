using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Security;

/// <summary>Validates <see cref="SecurityOptions"/> as a whole at start, each problem worded as the start-up line about its option.</summary>
internal sealed class SecurityOptionsValidator(IConfiguration configuration) : IValidateOptions<SecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, SecurityOptions options)
    {
        var errors = SecurityOptions.Errors(options).Select(e => OptionCatalog.Line(e.Option, e.Problem, e.Remedy, configuration)).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
