namespace FeedbackMetrics.Tests.Core;

/// <summary>The kinds of models whose scores the threshold-free figures are tested on.</summary>
public enum ScoreKind
{
    /// <summary>A useful model: logits N(0, 1), the true class's raised by 1.5.</summary>
    Realistic,

    /// <summary>A confident model: logits N(0, 2), the true class's raised by 6, so scores crowd near 0 and 1.</summary>
    Confident,

    /// <summary>A weak model: logits N(0, 1), the true class's raised by 0.3, so positives and negatives overlap.</summary>
    Weak,

    /// <summary>A rare last class (5 % of truths) whose scores sit near 0, raised by 2.5 when true.</summary>
    RareClass,

    /// <summary>A very confident model whose vectors went through float32: many top scores exactly 1 (ties).</summary>
    Saturated,
}

/// <summary>Seeded rows of a probability vector and its true class, from a softmax of Gaussian logits.</summary>
internal static class ScoreStreams
{
    public static (int Truth, double[] P) Next(Random random, int classes, ScoreKind kind)
    {
        var truth = kind == ScoreKind.RareClass
            ? (random.NextDouble() < 0.05 ? classes - 1 : random.Next(classes - 1))
            : random.Next(classes);
        var (spread, lift) = kind switch
        {
            ScoreKind.Confident => (2.0, 6.0),
            ScoreKind.Saturated => (4.0, 12.0),
            ScoreKind.Weak => (1.0, 0.3),
            ScoreKind.RareClass => (1.0, 2.5),
            _ => (1.0, 1.5),
        };
        var z = new double[classes];
        for (var j = 0; j < classes; j++)
        {
            z[j] = Gaussian(random) * spread;
        }

        z[truth] += lift;
        if (kind == ScoreKind.RareClass)
        {
            z[classes - 1] -= 4;
        }

        var max = z.Max();
        var p = z.Select(v => Math.Exp(v - max)).ToArray();
        var sum = p.Sum();
        for (var j = 0; j < classes; j++)
        {
            p[j] /= sum;
            if (kind == ScoreKind.Saturated)
            {
                p[j] = (float)p[j];
            }
        }

        return (truth, p);
    }

    /// <summary>The predicted class: the first index of the largest score.</summary>
    public static int ArgMax(double[] p) => Array.IndexOf(p, p.Max());

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
