using System.Globalization;
using FeedbackMetrics.Core.Identity;

namespace FeedbackMetrics.Core.Metrics;

/// <summary>
/// Readable names for index classes: <c>CLASS_i</c> is shown as the i-th name in our own series, the JSON view and the
/// web view. Names come from <c>--class_names</c> for every model and, per deployment, from the <c>class_names</c> of
/// the rules file (replaced whenever that file is reloaded; a deployment named there uses its own list). In the JSON
/// view and the web view, a class these leave unnamed takes the name the model's own responses gave it (Seldon's
/// <c>data.names</c>, <see cref="ModelClassNames"/>): what an operator configured wins over what a sender says. Those
/// names stay out of Prometheus: they come from senders and may change, and a label value that changes starts a new
/// series. Seldon's counters keep <c>CLASS_i</c>, as dashboards built for Seldon expect; string labels and indexes past
/// the lists keep their own names. Thread-safe: readers see one set of names or the next, never a mix.
/// </summary>
public sealed class ClassDisplay(IReadOnlyList<string> names)
{
    public static readonly ClassDisplay Stored = new([]);

    private volatile IReadOnlyDictionary<string, IReadOnlyList<string>> _perDeployment = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>
    /// Replaces the per-deployment names, keyed <c>namespace/deployment</c> (namespace <c>*</c> for any), as the rules
    /// file gives them.
    /// </summary>
    public void UsePerDeployment(IReadOnlyDictionary<string, IReadOnlyList<string>> perDeployment)
    {
        _perDeployment = perDeployment;
        Interlocked.Increment(ref _version);
    }

    /// <summary>Grows whenever the names change: what was rendered with older names is stale.</summary>
    public long Version => Interlocked.Read(ref _version);

    private long _version;

    /// <summary>The names for a model: its deployment's (exact namespace first, then <c>*</c>), else <c>--class_names</c>.</summary>
    public IReadOnlyList<string> NamesFor(MetricKey key)
    {
        var perDeployment = _perDeployment;
        if (perDeployment.Count > 0
            && (perDeployment.TryGetValue($"{key.Namespace}/{key.Deployment}", out var own) || perDeployment.TryGetValue($"*/{key.Deployment}", out own)))
        {
            return own;
        }

        return names;
    }

    /// <summary>How a stored class name of a model is shown.</summary>
    public string Of(MetricKey key, string stored) => Of(NamesFor(key), stored);

    /// <summary>
    /// How a model's stored classes are shown in the JSON view and the web view, in their order: the configured name of a
    /// CLASS_i, else the name the model's responses gave it (<paramref name="fromModel"/>), else the stored name. Should
    /// a model's name make two classes look alike (a string label "cat" beside a CLASS_0 its responses call "cat"), the
    /// model's names are not used for that model: the view must tell classes apart.
    /// </summary>
    public string[] Shown(MetricKey key, IReadOnlyList<string> stored, IReadOnlyList<string>? fromModel)
    {
        var configured = NamesFor(key);
        var shown = new string[stored.Count];
        for (var i = 0; i < shown.Length; i++)
        {
            var name = Of(configured, stored[i]);
            shown[i] = fromModel is null || !ReferenceEquals(name, stored[i]) ? name : Of(fromModel, stored[i]);
        }

        if (fromModel is not null && shown.Distinct(StringComparer.Ordinal).Count() < shown.Length)
        {
            return Shown(key, stored, null);
        }

        return shown;
    }

    /// <summary>The summary with its class names shown.</summary>
    public KeySummary Apply(KeySummary summary)
    {
        var shown = NamesFor(new MetricKey(summary.Namespace, summary.Deployment, summary.Predictor, summary.Model));
        return shown.Count == 0
            ? summary
            : summary with
            {
                Classes = [.. summary.Classes.Select(c => Of(shown, c))],
                PerClass = [.. summary.PerClass.Select(c => c with { Class = Of(shown, c.Class) })],
            };
    }

    private static string Of(IReadOnlyList<string> shown, string stored)
    {
        if (shown.Count == 0 || !stored.StartsWith("CLASS_", StringComparison.Ordinal)
            || !int.TryParse(stored.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= shown.Count)
        {
            return stored;
        }

        return shown[index];
    }
}
