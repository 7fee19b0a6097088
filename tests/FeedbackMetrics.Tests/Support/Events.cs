using System.Globalization;
using System.Text;

namespace FeedbackMetrics.Tests.Support;

/// <summary>Builders of feedback bodies as Seldon sends them.</summary>
public static class Events
{
    public const string FeedbackType = "io.seldon.serving.feedback";

    /// <summary>The seed example of the issue: a correct CLASS_2 prediction.</summary>
    public const string SeedBody = """{"response": {"data": {"ndarray": [[0.0007,0.0037,0.9956]]}}, "truth": {"data": {"ndarray": [[0,0,1]]}}}""";

    /// <summary>One-hot feedback with one row per (truth, predicted) pair, in ndarray form.</summary>
    public static string OneHot(int classes, params (int Truth, int Predicted)[] rows)
    {
        var truth = new StringBuilder();
        var response = new StringBuilder();
        foreach (var (t, p) in rows)
        {
            truth.Append(truth.Length == 0 ? "" : ",").Append(Vector(classes, t, 1.0));
            response.Append(response.Length == 0 ? "" : ",").Append(Vector(classes, p, 0.9));
        }

        return Body("[" + response + "]", "[" + truth + "]");
    }

    /// <summary>A feedback body from the JSON text of the response and truth ndarrays.</summary>
    public static string Body(string responseNdarray, string truthNdarray) =>
        "{\"response\": {\"data\": {\"ndarray\": " + responseNdarray + "}}, \"truth\": {\"data\": {\"ndarray\": " + truthNdarray + "}}}";

    private static string Vector(int classes, int hot, double top)
    {
        var rest = (1 - top) / Math.Max(classes - 1, 1);
        var values = Enumerable.Range(0, classes).Select(i => (i == hot ? top : rest).ToString("R", CultureInfo.InvariantCulture));
        return "[" + string.Join(",", values) + "]";
    }
}
