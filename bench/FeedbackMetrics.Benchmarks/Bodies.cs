using System.Globalization;
using System.Text;

namespace FeedbackMetrics.Benchmarks;

/// <summary>Seldon feedback bodies of a given size: probability vectors for the response, one-hot vectors for the truth.</summary>
public static class Bodies
{
    public static byte[] OneHot(int rows, int classes, int seed = 1)
    {
        var random = new Random(seed);
        var truth = new StringBuilder();
        var response = new StringBuilder();
        for (var r = 0; r < rows; r++)
        {
            var t = random.Next(classes);
            truth.Append(r == 0 ? "[" : ",[");
            response.Append(r == 0 ? "[" : ",[");
            for (var c = 0; c < classes; c++)
            {
                truth.Append(c == 0 ? "" : ",").Append(c == t ? '1' : '0');
                response.Append(c == 0 ? "" : ",").Append(Math.Round(random.NextDouble(), 4).ToString(CultureInfo.InvariantCulture));
            }

            truth.Append(']');
            response.Append(']');
        }

        return Encoding.UTF8.GetBytes($"{{\"response\": {{\"data\": {{\"ndarray\": [{response}]}}}}, \"truth\": {{\"data\": {{\"ndarray\": [{truth}]}}}}}}");
    }
}
