using FeedbackMetrics.Core.Decoding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Options;

/// <summary>Registers options bound from a configuration section and checked at start-up, every failure worded for the user.</summary>
internal static class OptionsRegistration
{
    /// <summary>Every options type of the server but security's (<c>AddSecurity</c>), with its start-up checks.</summary>
    public static void AddServerOptions(this IServiceCollection services)
    {
        services.AddCheckedOptions<ServerOptions>(ServerOptions.Section);
        services.AddCheckedOptions<DecodingOptions>(DecodingOptions.Section)
            .Check("storage_uri", o => ClassDecoder.StorageUris.ContainsKey(o.StorageUri) ? null : "{value} is not a decoder")
            .Check("deployment_decoders", DecodingOptions.OverrideError);
        services.AddCheckedOptions<LimitsOptions>(LimitsOptions.Section);
        services.AddCheckedOptions<ReplyOptions>(ReplyOptions.Section)
            .Check("reply_url", o => string.IsNullOrWhiteSpace(o.Url) || Uri.TryCreate(o.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https" ? null : "{value} is not an absolute http(s) URL");
        services.AddCheckedOptions<StateOptions>(StateOptions.Section)
            .Check("dedupe_ttl", o => o.DedupeTtl > TimeSpan.Zero ? null : "{value} is not positive")
            .Check("redis_refresh_interval", o => o.RedisRefreshInterval > TimeSpan.Zero ? null : "{value} is not positive")
            .Check("redis_wait_timeout", o => o.RedisWaitTimeout > TimeSpan.Zero && o.RedisWaitTimeout <= TimeSpan.FromMinutes(1) ? null : "{value} is out of range");

        // A relative --state_dir starts where the user runs the server; the log and the lock name the absolute path.
        services.PostConfigure<StateOptions>(o => o.Dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(o.Dir)));
        services.AddCheckedOptions<AdminOptions>(AdminOptions.Section)
            .Check("admin_token_file", o => AdminOptions.TokenFileReadable(o) ? null : "{value} cannot be read or holds no token");
        services.AddCheckedOptions<AlertOptions>(AlertOptions.Section)
            .Check("alert_interval", o => o.Interval > TimeSpan.Zero ? null : "{value} is not positive")
            .Check("kubernetes_api", o => string.IsNullOrEmpty(o.KubernetesApi) || Uri.TryCreate(o.KubernetesApi, UriKind.Absolute, out _) ? null : "{value} is not an absolute URL");
        services.AddCheckedOptions<ExpositionOptions>(ExpositionOptions.Section);
        services.AddCheckedOptions<JoinOptions>(JoinOptions.Section)
            .Check("response_types", o => o.EffectiveResponseTypes.Any(string.IsNullOrWhiteSpace) ? "an empty type is named" : null);
        services.AddCheckedOptions<WindowOptions>(WindowOptions.Section);
        services.AddCheckedOptions<SegmentOptions>(SegmentOptions.Section)
            .Check("segment_by", o => o.NamesError());
    }

    /// <summary>Binds <typeparamref name="T"/> from <paramref name="section"/> and checks its data annotations at start.</summary>
    public static OptionsBuilder<T> AddCheckedOptions<T>(this IServiceCollection services, string section)
        where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(sp => new AnnotationValidator<T>(section, sp.GetRequiredService<IConfiguration>()));
        return services.AddOptions<T>().BindConfiguration(section).ValidateOnStart();
    }

    /// <summary>
    /// Adds a rule on option <paramref name="option"/> (its snake_case name): <paramref name="problem"/> says what is
    /// wrong or returns null; <paramref name="remedy"/> says what to do (default: "give" what the option accepts).
    /// </summary>
    public static OptionsBuilder<T> Check<T>(this OptionsBuilder<T> builder, string option, Func<T, string?> problem, string? remedy = null)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(sp => new OptionRule<T>(option, problem, remedy, sp.GetRequiredService<IConfiguration>()));
        return builder;
    }
}
