using System.Text;

namespace FeedbackMetrics.Server.Cli;

/// <summary>The --help text: an example first, then every option of <see cref="OptionTable"/> under its topic, one line each.</summary>
internal static class HelpText
{
    public const string Example = "FeedbackMetrics.Server --storage_uri adserver.cm_models.binary_metrics.BinaryMetrics --reply_url http://broker-ingress.knative-eventing.svc.cluster.local/seldon/default MetricsServer";

    public const string SeldonEnvironment = """
        Seldon's environment variables SELDON_DEPLOYMENT_NAMESPACE, SELDON_DEPLOYMENT_ID, PREDICTOR_ID and
        PREDICTIVE_UNIT_ID give the labels of events that carry no namespace / inferenceservicename /
        endpoint / modelid extensions.
        """;

    public static string Render()
    {
        var width = OptionTable.All.Max(o => o.Name.Length) + 4;
        var text = new StringBuilder()
            .AppendLine("Feedback metrics server: CloudEvents feedback in, confusion matrices and metrics out.")
            .AppendLine()
            .AppendLine("Usage:   FeedbackMetrics.Server [options] [MetricsServer]")
            .Append("Example: ").AppendLine(Example)
            .AppendLine()
            .AppendLine("Every option can also come from the environment (--http_port: FeedbackMetrics__Server__HttpPort) or")
            .AppendLine("appsettings.json; the command line wins. [x] is the default. docs/configuration.md has the details.");
        foreach (var topic in OptionTable.All.Select(o => o.Topic).Distinct())
        {
            text.AppendLine().Append(topic.Title).AppendLine(":");
            foreach (var option in OptionTable.All.Where(o => o.Topic == topic))
            {
                text.Append("  ").Append(("--" + option.Name).PadRight(width)).Append(option.Help);
                if (!string.IsNullOrEmpty(option.Default))
                {
                    text.Append(" [").Append(option.Default).Append(']');
                }

                text.AppendLine();
            }
        }

        return text
            .AppendLine()
            .Append("  ").Append("--help".PadRight(width)).AppendLine("Show this text.")
            .AppendLine()
            .AppendLine(SeldonEnvironment)
            .ToString();
    }
}
