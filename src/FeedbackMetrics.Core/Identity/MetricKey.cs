namespace FeedbackMetrics.Core.Identity;

/// <summary>The identity one set of figures is kept under: namespace, deployment, predictor and model.</summary>
public readonly record struct MetricKey(string Namespace, string Deployment, string Predictor, string Model)
{
    public override string ToString() => $"{Namespace}/{Deployment}/{Predictor}/{Model}";

    /// <summary>Ordinal order by namespace, deployment, predictor, model: what every listing is sorted by.</summary>
    public static int Compare(MetricKey a, MetricKey b)
    {
        var c = string.CompareOrdinal(a.Namespace, b.Namespace);
        if (c == 0)
        {
            c = string.CompareOrdinal(a.Deployment, b.Deployment);
        }

        if (c == 0)
        {
            c = string.CompareOrdinal(a.Predictor, b.Predictor);
        }

        return c != 0 ? c : string.CompareOrdinal(a.Model, b.Model);
    }
}
