using System.Collections.Concurrent;
using System.Text;
using FeedbackMetrics.Server.CloudEvents;
using FeedbackMetrics.Server.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FeedbackMetrics.Server.Ingest;

/// <summary>
/// Says in the log that events of a type the server does not handle are acknowledged and not counted: the first of
/// each type as a warning naming the types it does handle (a typo in a trigger's filter or a sender's type shows in
/// <c>kubectl logs</c>, not only in a counter), the rest at debug. Types come from senders, so the types warned of are
/// bounded (<see cref="MaxWarnedTypes"/>, as many as get their own label in
/// <c>feedback_metrics_ignored_events_total</c>); past them every new type is logged at debug, after one line saying so.
/// </summary>
internal sealed class UnhandledTypes(IEnumerable<string> feedbackTypes, IEnumerable<string> responseTypes, ILogger logger)
{
    public const int MaxWarnedTypes = ServerCounters.MaxIgnoredTypes;

    /// <summary>Longest type or event name written to the log; a sender may send kilobytes.</summary>
    private const int MaxLoggedLength = 200;

    private readonly string _feedbackTypes = string.Join(", ", feedbackTypes);
    private readonly string _responseTypes = string.Join(", ", responseTypes);
    private readonly ConcurrentDictionary<string, byte> _warned = new(StringComparer.Ordinal);
    private int _capReported;

    public void Report(IncomingEvent cloudEvent)
    {
        var type = cloudEvent.Type;
        if (_warned.ContainsKey(type) || !logger.IsEnabled(LogLevel.Warning))
        {
            Debug(cloudEvent);
            return;
        }

        if (_warned.Count >= MaxWarnedTypes)
        {
            if (Interlocked.Exchange(ref _capReported, 1) == 0)
            {
                Log.EventTypesNotHandledCapped(logger, MaxWarnedTypes);
            }

            Debug(cloudEvent);
            return;
        }

        if (_warned.TryAdd(type, 0))
        {
            Log.EventTypeNotHandled(logger, Printable(type), Printable($"{cloudEvent.Source}#{cloudEvent.Id}"), _feedbackTypes, _responseTypes);
        }
        else
        {
            Debug(cloudEvent);
        }
    }

    private void Debug(IncomingEvent cloudEvent)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.EventTypeNotHandledAgain(logger, Printable(cloudEvent.Type), Printable($"{cloudEvent.Source}#{cloudEvent.Id}"));
        }
    }

    /// <summary>The text as one log line can carry it: control characters escaped (a sender cannot start a line of its own), long text cut.</summary>
    internal static string Printable(string text)
    {
        var cut = text.Length > MaxLoggedLength;
        var span = cut ? text.AsSpan(0, MaxLoggedLength) : text.AsSpan();
        var clean = true;
        foreach (var c in span)
        {
            clean &= !char.IsControl(c);
        }

        if (clean)
        {
            return cut ? string.Concat(span, "…") : text;
        }

        var builder = new StringBuilder(span.Length + 16);
        foreach (var c in span)
        {
            _ = char.IsControl(c) ? builder.Append($"\\u{(int)c:x4}") : builder.Append(c);
        }

        return cut ? builder.Append('…').ToString() : builder.ToString();
    }
}
