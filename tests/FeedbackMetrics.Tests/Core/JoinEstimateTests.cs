using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using Microsoft.Extensions.Time.Testing;
using static FeedbackMetrics.Tests.Core.JoinInputs;

namespace FeedbackMetrics.Tests.Core;

public sealed class JoinEstimateTests
{
    private const int Classes = 4;
    private static readonly MetricKey Key = new("ns", "dep", "default", "classifier");
    private static readonly JoinScope Scope = JoinScope.Of(Key);

    /// <summary>One logged request: its rows' probability vectors and the truths the labeller will send.</summary>
    private sealed record Request(string Id, double[][] Probabilities, int[] Truths);

    /// <summary>
    /// A model's stream: 1 or 2 rows per request, vectors spread over every confidence bin. Calibrated: the truth is
    /// drawn from the vector, so a row is right with its top probability. Miscalibrated (overconfident): right with
    /// the cube of its top probability.
    /// </summary>
    private static List<Request> Stream(int seed, int count, bool calibrated)
    {
        var random = new Random(seed);
        var requests = new List<Request>(count);
        for (var i = 0; i < count; i++)
        {
            var rows = 1 + random.Next(2);
            var probabilities = new double[rows][];
            var truths = new int[rows];
            for (var r = 0; r < rows; r++)
            {
                var sharpness = 0.3 + (4 * random.NextDouble());
                var p = new double[Classes];
                for (var j = 0; j < Classes; j++)
                {
                    p[j] = Math.Pow(-Math.Log(1 - random.NextDouble()), sharpness);
                }

                var sum = p.Sum();
                for (var j = 0; j < Classes; j++)
                {
                    p[j] /= sum;
                }

                var predicted = RandomRows.ArgMax(p);
                probabilities[r] = p;
                truths[r] = calibrated ? Draw(random, p) : random.NextDouble() < Math.Pow(p[predicted], 3) ? predicted : (predicted + 1 + random.Next(Classes - 1)) % Classes;
            }

            requests.Add(new Request($"r{i}", probabilities, truths));
        }

        return requests;
    }

    private static int Draw(Random random, double[] p)
    {
        var u = random.NextDouble();
        for (var j = 0; j < p.Length - 1; j++)
        {
            u -= p[j];
            if (u < 0)
            {
                return j;
            }
        }

        return p.Length - 1;
    }

    /// <summary>The reliability table of the joined rows and the estimate for the pending ones, worked out directly.</summary>
    private static (double Accuracy, long Calibrated) Independent(IEnumerable<Request> joined, IEnumerable<Request> pending)
    {
        static int Bin(double c)
        {
            for (var m = 0; m < 10; m++)
            {
                if (c <= (m + 1) / 10.0)
                {
                    return m;
                }
            }

            return 9;
        }

        var rows = new long[10];
        var right = new long[10];
        foreach (var request in joined)
        {
            for (var r = 0; r < request.Truths.Length; r++)
            {
                var p = request.Probabilities[r];
                var bin = Bin(p.Max());
                rows[bin]++;
                right[bin] += RandomRows.ArgMax(p) == request.Truths[r] ? 1 : 0;
            }
        }

        double expected = 0;
        long count = 0, calibrated = 0;
        foreach (var p in pending.SelectMany(request => request.Probabilities))
        {
            var bin = Bin(p.Max());
            count++;
            if (rows[bin] > 0)
            {
                calibrated++;
                expected += right[bin] / (double)rows[bin];
            }
            else
            {
                expected += p.Max();
            }
        }

        return (expected / count, calibrated);
    }

    private static double Realized(IEnumerable<Request> requests)
    {
        var rows = requests.SelectMany(request => request.Probabilities.Zip(request.Truths)).ToList();
        return rows.Count(row => RandomRows.ArgMax(row.First) == row.Second) / (double)rows.Count;
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Estimated_accuracy_of_pending_responses_is_their_calibrated_top_probability(bool calibrated)
    {
        var ledger = new EngineJoin(JoinLimits.Default, new FakeTimeProvider(DateTimeOffset.UtcNow));
        var stream = Stream(calibrated ? 5 : 6, 12_000, calibrated);
        var joined = stream.Take(8_000).ToList();
        var pending = stream.Skip(8_000).ToList();
        foreach (var request in stream)
        {
            ledger.Response(Key, request.Id, Response(request.Probabilities));
        }

        foreach (var request in joined)
        {
            ledger.Truth(Key, request.Id, Truth(request.Truths), null);
        }

        // Rows that carry no probability distribution take no part: raw scores, and class indices.
        ledger.Response(Key, "scores", Response("[[3.0, -1.0, 0.5, 0.2]]"));
        ledger.Response(Key, "index", Response("[[2]]"));
        ledger.Truth(Key, "scores", Truth(1), null);

        var estimate = ledger.Figures(Scope).Estimated;
        var (accuracy, calibratedRows) = Independent(joined, pending);
        var realized = Realized(pending);
        var meanConfidence = pending.SelectMany(request => request.Probabilities).Average(p => p.Max());
        Assert.Multiple(() =>
        {
            Assert.That(estimate.Accuracy!.Value, Is.EqualTo(accuracy).Within(1e-9));
            Assert.That(estimate.PendingRows, Is.EqualTo(pending.Sum(request => request.Truths.Length)));
            Assert.That(estimate.JoinedRows, Is.EqualTo(joined.Sum(request => request.Truths.Length)));
            Assert.That(estimate.CalibratedPendingRows, Is.EqualTo(calibratedRows));

            // What the estimate is for: the accuracy the pending rows turn out to have once their truth comes.
            Assert.That(estimate.Accuracy!.Value, Is.EqualTo(realized).Within(0.03));
        });
        if (!calibrated)
        {
            Assert.That(meanConfidence - realized, Is.GreaterThan(0.15), "the stream is overconfident, so the raw confidence would be far off");
        }

        // Once the pending rows get their truth, the estimate is seen to have been close.
        foreach (var request in pending)
        {
            ledger.Truth(Key, request.Id, Truth(request.Truths), null);
        }

        var fared = ledger.Figures(Scope).Estimated.Realized;
        Assert.Multiple(() =>
        {
            Assert.That(fared.Rows, Is.EqualTo(stream.Sum(request => request.Truths.Length)), "every row that was pending with a distribution (not the raw scores, not the index)");
            Assert.That(fared.Expected!.Value, Is.EqualTo(fared.Accuracy!.Value).Within(0.03));
        });
    }

    [Test]
    public void The_estimate_follows_pending_rows_as_they_join_expire_and_are_relabelled()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ledger = new EngineJoin(new JoinLimits(TimeSpan.FromHours(1), 1000), clock);

        // Before any join, a pending row counts at its own top probability.
        ledger.Response(Key, "a", Response("[[0.75, 0.25]]"));
        Assert.That(ledger.Figures(Scope).Estimated, Is.EqualTo(new EstimatedAccuracy(0.75, 1, 0, 0)));

        // Two joined rows in the (0.7, 0.8] bin, one right: that bin now says 0.5.
        clock.Advance(TimeSpan.FromMinutes(1));
        ledger.Response(Key, "b", Response("[[0.72, 0.28]]"));
        ledger.Response(Key, "c", Response("[[0.28, 0.72]]"));
        ledger.Truth(Key, "b", Truth(0), null);
        ledger.Truth(Key, "c", Truth(0), null);
        var estimated = ledger.Figures(Scope).Estimated;
        Assert.Multiple(() =>
        {
            Assert.That(estimated with { Realized = new(0, null, null) }, Is.EqualTo(new EstimatedAccuracy(0.5, 1, 1, 2)));

            // b was expected right with its own 0.72 (no joined row yet) and was; c with b's bin's 1.0, and was not.
            Assert.That(estimated.Realized.Rows, Is.EqualTo(2));
            Assert.That(estimated.Realized.Expected!.Value, Is.EqualTo((0.72 + 1.0) / 2).Within(1e-12));
            Assert.That(estimated.Realized.Accuracy, Is.EqualTo(0.5));
        });

        // Relabelling c to its predicted class makes both joined rows right.
        ledger.Truth(Key, "c", Truth(1), null);
        Assert.That(ledger.Figures(Scope).Estimated with { Realized = new(0, null, null) }, Is.EqualTo(new EstimatedAccuracy(1.0, 1, 1, 2)));

        // Once the pending row expires nothing is pending: no estimate.
        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.That(ledger.Figures(Scope).Estimated with { Realized = new(0, null, null) }, Is.EqualTo(new EstimatedAccuracy(null, 0, 0, 2)));
    }
}
