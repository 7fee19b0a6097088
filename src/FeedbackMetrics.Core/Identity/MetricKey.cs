namespace FeedbackMetrics.Core.Identity;

/// <summary>The identity one set of figures is kept under: namespace, deployment, predictor and model.</summary>
public readonly record struct MetricKey(string Namespace, string Deployment, string Predictor, string Model)
{
    public override string ToString() => $"{Namespace}/{Deployment}/{Predictor}/{Model}";
}
