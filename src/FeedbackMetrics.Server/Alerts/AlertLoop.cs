using FeedbackMetrics.Core.Alerts;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Diagnostics;
using FeedbackMetrics.Server.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FeedbackMetrics.Server.Alerts;

/// <summary>
/// Judges the alert rules every <c>--alert_interval</c>: re-reads the rules file when it changed (keeping the last
/// good rules when it is bad), evaluates them against the read model, and reports each transition — a log line,
/// an alert CloudEvent for <c>--reply_url</c>, and with <c>--kubernetes_events</c> a Kubernetes Event. With a
/// shared store only the replica holding the exporter lease (<see cref="ModelSeriesGate"/>) judges and reports, so a
/// transition is posted once, not once per replica; the others list what it found (<see cref="SharedAlerts"/>), and a
/// replica taking the lease starts from what the last holder found, so nothing already firing is posted again.
/// </summary>
public sealed class AlertLoop(
    IOptions<AlertOptions> options,
    IOptions<SegmentOptions> segments,
    MetricsBook book,
    IFeedbackStore store,
    AlertBoard board,
    AlertEvents events,
    ClassDisplay display,
    KubernetesEventWriter kubernetes,
    ModelSeriesGate gate,
    SharedAlerts shared,
    TimeProvider time,
    ILogger<AlertLoop> logger) : BackgroundService
{
    private static readonly TimeSpan KubernetesTimeout = TimeSpan.FromSeconds(10);
    private readonly AlertEvaluator _evaluator = new();
    private string? _loaded;
    private bool _judging;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrEmpty(options.Value.RulesFile))
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A round that fails (a defect, an unreadable file) must not stop the server: the next round tries again.
                Log.AlertRoundFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round: reload if changed, judge, report. Public so tests can drive it with a fake clock.</summary>
    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        ReloadIfChanged();
        if (shared.Enabled && !gate.Exports)
        {
            // Another replica judges: list what it found.
            var found = SharedAlertCodec.Read(shared.Received, board.Rules);
            board.Publish(found);
            _judging = false;
            return;
        }

        if (shared.Enabled && !_judging)
        {
            // This replica just took the lease: it goes on from what the last holder found (read as it took it).
            _evaluator.Seed(SharedAlertCodec.Read(shared.Received, board.Rules));
            _judging = true;
        }

        var transitions = _evaluator.Evaluate(board.Rules, book.ViewAll(), time.GetUtcNow());
        List<FiringAlert> firing = [.. _evaluator.Firing];
        board.Publish(firing);
        if (shared.Enabled)
        {
            shared.Judged = SharedAlertCodec.Write(firing);
        }
        else if (!gate.Exports)
        {
            return;
        }

        foreach (var transition in transitions)
        {
            await ReportAsync(transition, cancellationToken);
        }
    }

    private async Task ReportAsync(AlertTransition transition, CancellationToken cancellationToken)
    {
        Log.AlertTransition(logger, transition.Firing ? "firing" : "resolved", transition.Key.ToString(), AlertEvents.Describe(transition));
        store.Outbox.Post(events.Create(transition));

        if (options.Value.KubernetesEvents)
        {
            // Its own short deadline: an API server that does not answer must not hold the judging of every rule.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(KubernetesTimeout);
            try
            {
                await kubernetes.WriteAsync(transition, deadline.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Log.KubernetesEventFailed(logger, transition.Key.ToString(), e.Message);
            }
        }
    }

    private void ReloadIfChanged()
    {
        var path = options.Value.RulesFile!;
        string text;
        try
        {
            // Read whole each round rather than trusting timestamps: a Kubernetes ConfigMap changes by swapping a symlink.
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Refuse($"{path} cannot be read: {e.Message}");
            return;
        }

        if (text == _loaded)
        {
            return;
        }

        _loaded = text;
        var (rules, classNames, errors) = AlertRuleFile.Parse(text, [.. book.Windows.Select(w => w.Name)], segments.Value.By);
        if (errors.Count > 0)
        {
            Refuse(string.Join("; ", errors));
            return;
        }

        board.RulesLoaded(rules);
        display.UsePerDeployment(classNames);
        Log.AlertRulesLoaded(logger, rules.Count, path);
    }

    private void Refuse(string reason)
    {
        if (board.FileError != reason)
        {
            Log.AlertRulesRefused(logger, reason, board.Rules.Count);
        }

        board.RulesRefused(reason);
    }
}
