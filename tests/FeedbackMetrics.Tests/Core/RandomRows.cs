namespace FeedbackMetrics.Tests.Core;

/// <summary>Seeded random rows for the window and statistics tests: a truth, a probability vector and its argmax.</summary>
internal static class RandomRows
{
    /// <summary>One row; about a third of the vectors are coarse (many ties and exact zeros), the rest smooth.</summary>
    public static (int Truth, double[] Probabilities, int Predicted) Next(Random random, int classes)
    {
        var p = new double[classes];
        var coarse = random.Next(3) == 0;
        double sum = 0;
        for (var j = 0; j < classes; j++)
        {
            p[j] = coarse ? random.Next(4) : -Math.Log(1 - random.NextDouble()) * (random.Next(4) == 0 ? 4 : 1);
            sum += p[j];
        }

        if (sum == 0)
        {
            p[random.Next(classes)] = sum = 1;
        }

        for (var j = 0; j < classes; j++)
        {
            p[j] /= sum;
        }

        // A model that is right more often than chance, so every figure is away from its trivial value.
        var predicted = ArgMax(p);
        var truth = random.NextDouble() < 0.6 ? predicted : random.Next(classes);
        return (truth, p, predicted);
    }

    /// <summary>The first index of the largest value, as the decoder picks the predicted class.</summary>
    public static int ArgMax(double[] p)
    {
        var best = 0;
        for (var j = 1; j < p.Length; j++)
        {
            if (p[j] > p[best])
            {
                best = j;
            }
        }

        return best;
    }
}
