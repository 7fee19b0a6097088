namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// Black-box shift estimation (Lipton, Wang and Smola 2018, "Detecting and correcting for label shift with black box
/// predictors"). Under label shift P(predicted | true) stays what the cumulative confusion matrix says, so the window's
/// predicted-class distribution μ̂ = M·q, with M[i, j] = P(predicted i | true j), gives the window's true-class
/// distribution q = M⁻¹·μ̂ before any of its truth is known. (The paper solves for weights w = C⁻¹μ̂ with the joint
/// matrix C = M·diag(p); q = w ∘ p is the same solution.) Solved by least squares over the true classes seen so far;
/// negative entries, which sampling noise produces, are clipped to 0 and the rest renormalised, as the paper does.
/// </summary>
public static class ShiftEstimator
{
    /// <summary>
    /// Past this many classes the solve, O(K³) on every read of every window, is skipped and classify-and-count is
    /// returned: at 100 classes it costs about 0.3 ms a window (bench: ShiftBenchmarks), at 200 it would cost about 2.5 ms.
    /// </summary>
    public const int MaxClasses = 100;

    /// <summary>
    /// A pivot of the QR decomposition below this makes M singular for our purpose. Columns of M are distributions
    /// (L1 norm 1, so Euclidean norm at least 1/√K); a smaller remainder means two true classes are, to the model,
    /// practically the same predictions and cannot be told apart.
    /// </summary>
    public const double SingularTolerance = 1e-6;

    /// <summary>
    /// The estimated true-class distribution of a window. <paramref name="cumulativeMatrix"/> is K×K row-major, rows
    /// the true class, columns the predicted one; <paramref name="windowPredicted"/> the window's predictions per class.
    /// Null when the window holds no row.
    /// </summary>
    public static ShiftEstimate? Estimate(ReadOnlySpan<long> cumulativeMatrix, int classes, ReadOnlySpan<long> windowPredicted)
    {
        if (cumulativeMatrix.Length != classes * classes || windowPredicted.Length != classes)
        {
            throw new ArgumentException($"Expected a {classes}x{classes} matrix and {classes} predicted counts.");
        }

        long windowTotal = 0;
        foreach (var c in windowPredicted)
        {
            windowTotal += c;
        }

        if (windowTotal <= 0)
        {
            return null;
        }

        var mu = new double[classes];
        for (var i = 0; i < classes; i++)
        {
            mu[i] = windowPredicted[i] / (double)windowTotal;
        }

        return classes <= MaxClasses && TryBbse(cumulativeMatrix, classes, mu, out var q)
            ? new ShiftEstimate(q, ShiftMethod.Bbse)
            : new ShiftEstimate(mu, ShiftMethod.ClassifyAndCount);
    }

    private static bool TryBbse(ReadOnlySpan<long> matrix, int k, double[] mu, out double[] q)
    {
        q = new double[k];

        // Unknowns: the true classes with support. A class never seen as truth has no column of M to estimate it by.
        var truths = new List<int>(k);
        var support = new long[k];
        for (var t = 0; t < k; t++)
        {
            for (var p = 0; p < k; p++)
            {
                support[t] += matrix[(t * k) + p];
            }

            if (support[t] > 0)
            {
                truths.Add(t);
            }
        }

        var n = truths.Count;
        if (n == 0)
        {
            return false;
        }

        // Column j of M is P(predicted | true class truths[j]): row truths[j] of the matrix, normalised.
        var a = new double[k * n];
        for (var j = 0; j < n; j++)
        {
            var t = truths[j];
            for (var i = 0; i < k; i++)
            {
                a[(j * k) + i] = matrix[(t * k) + i] / (double)support[t];
            }
        }

        if (!LeastSquares.TrySolve(a, k, n, (double[])mu.Clone(), SingularTolerance, out var solution))
        {
            return false;
        }

        double sum = 0;
        for (var j = 0; j < n; j++)
        {
            var clipped = Math.Max(0, solution[j]);
            q[truths[j]] = clipped;
            sum += clipped;
        }

        if (!(sum > 0))
        {
            return false;
        }

        for (var i = 0; i < k; i++)
        {
            q[i] /= sum;
        }

        return true;
    }
}

/// <summary>An estimated true-class distribution, in the key's class order, and how it was obtained.</summary>
public sealed record ShiftEstimate(double[] Distribution, ShiftMethod Method);
