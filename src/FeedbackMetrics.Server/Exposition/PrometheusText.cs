using System.Globalization;
using System.Text;
using FeedbackMetrics.Server.Diagnostics;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>The one writer of our series in the Prometheus text format (0.0.4): family headers, sample lines, label escaping.</summary>
internal static class PrometheusText
{
    public static void Family(StringBuilder text, MetricFamily family) =>
        text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n')
            .Append("# TYPE ").Append(family.Name).Append(' ').Append(family.TypeName).Append('\n');

    /// <summary>One sample line; <paramref name="moreLabels"/> starts with a comma and follows <paramref name="labels"/>.</summary>
    public static void Sample(StringBuilder text, string name, string? labels, string? moreLabels, double value)
    {
        text.Append(name);
        if (labels is not null)
        {
            text.Append('{').Append(labels).Append(moreLabels).Append('}');
        }

        text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Label value escaping of the text format: backslash, double quote and line feed.</summary>
    public static string Escape(string value) =>
        value.AsSpan().IndexOfAny('\\', '"', '\n') < 0 ? value : value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>The header of a family, as bytes (written once per scrape whatever the number of models).</summary>
    public static byte[] Header(MetricFamily family)
    {
        var text = new StringBuilder();
        Family(text, family);
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
