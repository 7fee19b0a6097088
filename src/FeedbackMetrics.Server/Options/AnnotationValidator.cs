using System.ComponentModel.DataAnnotations;
using System.Reflection;
using FeedbackMetrics.Server.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Options;

/// <summary>
/// The data annotations of an options type (and its <see cref="IValidatableObject"/> rules), each failure worded as the
/// start-up line about the option the user set — in place of ASP.NET's "The field HttpPort must be between…".
/// </summary>
internal sealed class AnnotationValidator<T>(string section, IConfiguration configuration) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = new List<string>();
        foreach (var property in typeof(T).GetProperties())
        {
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>())
            {
                var value = property.GetValue(options);
                if (!attribute.IsValid(value))
                {
                    failures.Add(Line(property.Name, attribute is RangeAttribute ? "{value} is out of range" : "{value} is not valid"));
                }
            }
        }

        if (options is IValidatableObject validatable)
        {
            foreach (var result in validatable.Validate(new ValidationContext(options)))
            {
                failures.Add(Line(result.MemberNames.FirstOrDefault() ?? "", result.ErrorMessage ?? "the value is not valid"));
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private string Line(string property, string problem) =>
        OptionCatalog.Find(section, property) is { } option
            ? OptionCatalog.Line(option.Name, problem, null, configuration)
            : StartupException.Line(problem.Replace("{value}", "the value", StringComparison.Ordinal), $"{section}:{property}", "correct the configuration");
}
