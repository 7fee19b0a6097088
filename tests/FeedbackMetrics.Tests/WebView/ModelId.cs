using System.Text.Json;

namespace FeedbackMetrics.Tests.WebView;

/// <summary>The identity of a model, as CloudEvent extensions and as the page's row key.</summary>
internal sealed record ModelId(string Namespace, string Deployment, string Predictor, string Model)
{
    public Dictionary<string, string> Extensions() => new()
    {
        ["namespace"] = Namespace,
        ["inferenceservicename"] = Deployment,
        ["endpoint"] = Predictor,
        ["modelid"] = Model,
    };

    /// <summary>The row of the overview (its data-key is the JSON array of the four names).</summary>
    public string RowSelector => $"tr[data-key='{JsonSerializer.Serialize(new[] { Namespace, Deployment, Predictor, Model })}']";

    public bool Is(JsonElement deployment) =>
        deployment.GetProperty("namespace").GetString() == Namespace && deployment.GetProperty("deployment").GetString() == Deployment
        && deployment.GetProperty("predictor").GetString() == Predictor && deployment.GetProperty("model").GetString() == Model;
}
