using System.Numerics;

namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// Least squares by Householder QR: minimises ‖A·x − b‖ for a tall or square A of full column rank, and says so when
/// the rank is short. QR rather than the normal equations because those square the condition number. A is stored
/// column by column so every inner loop runs over contiguous memory, in SIMD vectors.
/// </summary>
internal static class LeastSquares
{
    /// <summary>
    /// Solves in place (<paramref name="a"/>, column-major m×n — column j at [j·m, (j+1)·m) — and <paramref name="b"/>
    /// are overwritten). False when a column is, to within <paramref name="tolerance"/>, a combination of the ones before it.
    /// </summary>
    public static bool TrySolve(double[] a, int m, int n, double[] b, double tolerance, out double[] x)
    {
        x = new double[n];
        if (m < n)
        {
            return false;
        }

        var diagonal = new double[n];
        for (var j = 0; j < n; j++)
        {
            // v = the part of column j from row j down, turned in place into the Householder vector.
            var v = a.AsSpan((j * m) + j, m - j);
            var norm = Math.Sqrt(Dot(v, v));
            if (norm < tolerance)
            {
                return false;
            }

            // Reflect column j onto −sign(a_jj)·norm·e_j; the sign choice avoids cancellation in v_0.
            var alpha = v[0] > 0 ? -norm : norm;
            v[0] -= alpha;
            var vv = Dot(v, v);
            diagonal[j] = alpha;
            if (vv == 0)
            {
                continue;
            }

            for (var c = j + 1; c < n; c++)
            {
                var column = a.AsSpan((c * m) + j, m - j);
                AddScaled(column, v, -2 * Dot(v, column) / vv);
            }

            var rest = b.AsSpan(j, m - j);
            AddScaled(rest, v, -2 * Dot(v, rest) / vv);
        }

        // R·x = (Qᵀb)[0..n), R upper triangular: its diagonal in `diagonal`, above it in the columns of a.
        for (var j = n - 1; j >= 0; j--)
        {
            var s = b[j];
            for (var c = j + 1; c < n; c++)
            {
                s -= a[(c * m) + j] * x[c];
            }

            x[j] = s / diagonal[j];
        }

        return true;
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        var i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            for (; i <= x.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                acc += new Vector<double>(x[i..]) * new Vector<double>(y[i..]);
            }

            sum = Vector.Sum(acc);
        }

        for (; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>y += factor · x.</summary>
    private static void AddScaled(Span<double> y, ReadOnlySpan<double> x, double factor)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && y.Length >= Vector<double>.Count)
        {
            var f = new Vector<double>(factor);
            for (; i <= y.Length - Vector<double>.Count; i += Vector<double>.Count)
            {
                (new Vector<double>(y[i..]) + (f * new Vector<double>(x[i..]))).CopyTo(y[i..]);
            }
        }

        for (; i < y.Length; i++)
        {
            y[i] += factor * x[i];
        }
    }
}
