using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The cumulative rank histograms (ROC AUC, average precision, the two-class threshold sweep) as every replica shares
/// them in a model's <c>prob</c> hash: a hash can only add integers to fields, not go coarser as a histogram does, so
/// the bins are fixed at <see cref="Level"/> (1/64 of a unit of logit), as fields <c>rp{h}.{bin}</c> (positives of
/// ranked score h) and <c>rq{h}.{bin}</c> (negatives), <c>rs{step}</c> / <c>rt{step}</c> the two-class threshold
/// steps, <c>rr</c> the rows ranked and <c>rw</c> their vectors' width (the first event's; rows of another width
/// are not ranked, and the figures are then absent, as on one replica). A replica reads them into a histogram of its
/// own budget (coarser when they do not fit it). The time windows' buckets keep no histograms (a refresh would read 60 of them a window).
/// </summary>
internal sealed class RedisRankSums
{
    /// <summary>The level of the shared bins: 2^18 codes, 1/64 of a unit of logit.</summary>
    public const int Level = 18;

    private readonly Dictionary<string, long> _deltas = new(StringComparer.Ordinal);
    private int _width;

    /// <summary>Adds (+1) or takes back (−1) a scored row's rank codes; rows of another width than the first are left out.</summary>
    public void Add(in RankCodes ranks, int sign)
    {
        if (!ranks.IsRanked || (_width != 0 && ranks.Width != _width))
        {
            return;
        }

        _width = ranks.Width;
        for (var h = 0; h < ranks.Ranked; h++)
        {
            var bin = ScoreCodes.BinOf(ranks.Code(h), Level).ToString(CultureInfo.InvariantCulture);
            Delta((ranks.IsPositive(h) ? "rp" : "rq") + h.ToString(CultureInfo.InvariantCulture) + "." + bin, sign);
        }

        if (ranks.Width == 2)
        {
            Delta((ranks.IsPositive(0) ? "rs" : "rt") + ranks.Step.ToString(CultureInfo.InvariantCulture), sign);
        }

        Delta("rr", sign);
    }

    /// <summary>The event's part for the apply script: <c>rw</c> the width and <c>pr</c> field/delta pairs; nothing when no row was ranked.</summary>
    public void Write(Utf8JsonWriter json)
    {
        if (_width == 0)
        {
            return;
        }

        json.WriteNumber("rw", _width);
        json.WriteStartArray("pr");
        foreach (var (field, delta) in _deltas)
        {
            if (delta != 0)
            {
                json.WriteStringValue(field);
                json.WriteNumberValue(delta);
            }
        }

        json.WriteEndArray();
    }

    /// <summary>The rank sums a <c>prob</c> hash holds, in histograms of <paramref name="budget"/> bins; null when it holds none.</summary>
    public static RankSums? Parse(IReadOnlyDictionary<string, string> fields, long count, int budget)
    {
        if (!fields.TryGetValue("rw", out var w) || !fields.TryGetValue("rr", out var r))
        {
            return null;
        }

        var (width, ranked) = (int.Parse(w, CultureInfo.InvariantCulture), long.Parse(r, CultureInfo.InvariantCulture));
        if (width is < 2 or > RankCodes.MaxClasses || ranked <= 0 || ranked > count)
        {
            return null;
        }

        var bins = new SortedDictionary<uint, (long Positives, long Negatives)>[width == 2 ? 1 : width];
        var steps = new long[width == 2 ? 2 * (ScoreCodes.Thresholds + 1) : 0];
        for (var h = 0; h < bins.Length; h++)
        {
            bins[h] = [];
        }

        foreach (var (field, text) in fields)
        {
            if (field.Length < 3 || field[0] != 'r' || field[1] is not ('p' or 'q' or 's' or 't'))
            {
                continue;
            }

            var value = long.Parse(text, CultureInfo.InvariantCulture);
            if (value < 0)
            {
                return null; // more taken back than added: not a histogram to show figures from
            }

            if (value == 0)
            {
                continue;
            }

            if (field[1] is 'p' or 'q' && field.IndexOf('.', StringComparison.Ordinal) is var dot and > 2)
            {
                var h = int.Parse(field.AsSpan(2, dot - 2), CultureInfo.InvariantCulture);
                var bin = uint.Parse(field.AsSpan(dot + 1), CultureInfo.InvariantCulture);
                var (p, q) = bins[h].GetValueOrDefault(bin);
                bins[h][bin] = field[1] == 'p' ? (p + value, q) : (p, q + value);
            }
            else if (field[1] is 's' or 't' && steps.Length > 0)
            {
                steps[(field[1] == 's' ? 0 : ScoreCodes.Thresholds + 1) + int.Parse(field.AsSpan(2), CultureInfo.InvariantCulture)] = value;
            }
        }

        var histograms = bins.Select(b =>
            RankHistogram.FromBins(Math.Max(4, b.Count), Level, [.. b.Keys], [.. b.Values.Select(v => v.Positives)], [.. b.Values.Select(v => v.Negatives)])).ToList();
        return RankSums.FromStored(width, budget, ranked, histograms, steps);
    }

    private void Delta(string field, int sign) => _deltas[field] = _deltas.GetValueOrDefault(field) + sign;
}
