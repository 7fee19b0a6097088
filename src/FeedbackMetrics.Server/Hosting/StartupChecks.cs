using System.Net;
using System.Net.Sockets;
using FeedbackMetrics.Server.Cli;
using FeedbackMetrics.Server.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Hosting;

/// <summary>
/// The start-up mistakes found before anything listens or loads state, each thrown as one <see cref="StartupException"/>:
/// values of the wrong type, options that fail validation, a state directory another server holds, a port that cannot
/// be bound. Found later, each would surface as a stack trace from deep inside the host.
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

    /// <summary>After the app is built, before it starts: options, the state directory's lock, the port.</summary>
    public static void BeforeStart(WebApplication app)
    {
        try
        {
            Validate(app.Services.GetRequiredService<IStartupValidator>());
            _ = app.Services.GetService<StateDirectoryLock>();
            ThrowIfCannotListen(app.Services.GetRequiredService<IOptions<ServerOptions>>().Value, app.Configuration);
        }
        catch (StartupException)
        {
            ((IDisposable)app).Dispose(); // releases the lock of an in-process server (tests)
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

    /// <summary>
    /// Binds the port Kestrel will bind (the same address, or any address as Kestrel's ListenAnyIP) and lets it go.
    /// Kestrel fails the same way a moment later, but only after the host has started the store's restore and logged
    /// the failure with its stack trace.
    /// </summary>
    private static void ThrowIfCannotListen(ServerOptions server, IConfiguration configuration)
    {
        if (server.HttpPort == 0)
        {
            return;
        }

        IPAddress[] candidates = IPAddress.TryParse(server.BindAddress, out var address) ? [address] : [IPAddress.IPv6Any, IPAddress.Any];
        foreach (var candidate in candidates)
        {
            try
            {
                using var socket = new Socket(candidate.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                if (candidate.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(new IPEndPoint(candidate, server.HttpPort));
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw StartupException.Of(
                    $"port {server.HttpPort} on {server.BindAddress} is already in use", Subject("http_port", configuration), "stop the process using it, or choose another port");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
            {
                throw StartupException.Of(
                    $"port {server.HttpPort} needs privileges this process does not have", Subject("http_port", configuration), "choose a port above 1023");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                throw StartupException.Of(
                    $"{server.BindAddress} is not an address of this machine", Subject("bind_address", configuration), "give one of its addresses, or 0.0.0.0 for all");
            }
            catch (SocketException) when (candidate.Equals(IPAddress.IPv6Any))
            {
                // No IPv6 here: Kestrel falls back to IPv4's any address, and so does this check.
            }
        }
    }

    private static string Subject(string option, IConfiguration configuration) => OptionCatalog.Subject(SeldonCommandLine.Find(option)!, configuration);
}
