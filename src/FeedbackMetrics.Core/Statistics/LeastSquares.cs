namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// Least squares by Householder QR: minimises ‖A·x − b‖ for a tall or square A of full column rank, and says so when
/// the rank is short. QR rather than the normal equations because those square the condition number.
/// </summary>
internal static class LeastSquares
{
    /// <summary>
    /// Solves in place (<paramref name="a"/>, row-major m×n, and <paramref name="b"/> are overwritten). False when a
    /// column is, to within <paramref name="tolerance"/>, a combination of the ones before it.
    /// </summary>
    public static bool TrySolve(double[] a, int m, int n, double[] b, double tolerance, out double[] x)
    {
        x = new double[n];
        if (m < n)
        {
            return false;
        }

        var diagonal = new double[n];
        var v = new double[m];
        for (var j = 0; j < n; j++)
        {
            double norm = 0;
            for (var i = j; i < m; i++)
            {
                norm += a[(i * n) + j] * a[(i * n) + j];
            }

            norm = Math.Sqrt(norm);
            if (norm < tolerance)
            {
                return false;
            }

            // Reflect column j onto −sign(a_jj)·norm·e_j; the sign choice avoids cancellation in v_0.
            var alpha = a[(j * n) + j] > 0 ? -norm : norm;
            double vv = 0;
            for (var i = j; i < m; i++)
            {
                v[i] = a[(i * n) + j] - (i == j ? alpha : 0);
                vv += v[i] * v[i];
            }

            diagonal[j] = alpha;
            if (vv == 0)
            {
                continue;
            }

            for (var c = j + 1; c < n; c++)
            {
                double s = 0;
                for (var i = j; i < m; i++)
                {
                    s += v[i] * a[(i * n) + c];
                }

                s = 2 * s / vv;
                for (var i = j; i < m; i++)
                {
                    a[(i * n) + c] -= s * v[i];
                }
            }

            double sb = 0;
            for (var i = j; i < m; i++)
            {
                sb += v[i] * b[i];
            }

            sb = 2 * sb / vv;
            for (var i = j; i < m; i++)
            {
                b[i] -= sb * v[i];
            }
        }

        // R·x = (Qᵀb)[0..n), R upper triangular with the reflected norms on its diagonal.
        for (var j = n - 1; j >= 0; j--)
        {
            var s = b[j];
            for (var c = j + 1; c < n; c++)
            {
                s -= a[(j * n) + c] * x[c];
            }

            x[j] = s / diagonal[j];
        }

        return true;
    }
}
