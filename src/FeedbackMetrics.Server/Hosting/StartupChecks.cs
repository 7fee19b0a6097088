using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>
/// The start-up mistakes found before anything listens or loads state, each thrown as one <see cref="StartupException"/>:
/// values of the wrong type, options that fail validation. Found later, each would surface as a stack trace from deep
/// inside the host.
/// </summary>
internal static class StartupChecks
{
    /// <summary>Before anything binds the configuration: every value converts to its option's type.</summary>
    public static void BeforeBinding(IConfiguration configuration)
    {
        if (OptionCatalog.ConversionError(configuration) is { } error)
        {
            throw error;
        }
    }

    /// <summary>The annotations of options read before the app is built (Kestrel's), with the words of their later validation.</summary>
    public static void ThrowIfInvalid<T>(T options, string section, IConfiguration configuration)
        where T : class
    {
        if (new AnnotationValidator<T>(section, configuration).Validate(null, options) is { Failed: true } result)
        {
            throw new StartupException(result.Failures.First());
        }
    }

    /// <summary>After the app is built, before it starts: the options.</summary>
    public static void BeforeStart(WebApplication app)
    {
        try
        {
            Validate(app.Services.GetRequiredService<IStartupValidator>());
        }
        catch (StartupException)
        {
            ((IDisposable)app).Dispose();
            throw;
        }
    }

    private static void Validate(IStartupValidator validator)
    {
        try
        {
            validator.Validate();
        }
        catch (OptionsValidationException e)
        {
            throw new StartupException(e.Failures.First());
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is OptionsValidationException first)
        {
            throw new StartupException(first.Failures.First());
        }
    }
}
