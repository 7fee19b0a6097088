using FeedbackMetrics.Core.Alerts;

namespace FeedbackMetrics.Server.Alerts;

/// <summary>What the alert loop last found, for the JSON view and Prometheus: the alerts firing now and the state of the rules file.</summary>
public sealed class AlertBoard
{
    private volatile IReadOnlyList<FiringAlert> _firing = [];
    private volatile IReadOnlyList<AlertRule> _rules = [];
    private volatile string? _fileError;

    public IReadOnlyList<FiringAlert> Firing => _firing;

    public IReadOnlyList<AlertRule> Rules => _rules;

    /// <summary>Why the rules file was last refused, or null when the rules in force are the file's.</summary>
    public string? FileError => _fileError;

    public long FileErrors { get; private set; }

    public void Publish(IReadOnlyList<FiringAlert> firing) => _firing = firing;

    public void RulesLoaded(IReadOnlyList<AlertRule> rules)
    {
        _rules = rules;
        _fileError = null;
    }

    public void RulesRefused(string error)
    {
        _fileError = error;
        FileErrors++;
    }
}
