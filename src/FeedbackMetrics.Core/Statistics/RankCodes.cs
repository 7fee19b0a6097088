namespace FeedbackMetrics.Core.Statistics;

/// <summary>
/// What the threshold-free figures need of one row: the width of its probability vector, the index of its true class
/// in that vector (the width itself when the truth is a class the vector does not score), and the code
/// (<see cref="ScoreCodes"/>) of each score they rank: for two classes only the second class's score (and the threshold
/// steps it reaches), for more every class's (one-vs-rest). 32 bytes, up to three codes held in place; a row of more than
/// three classes holds its codes in an array of 4 bytes a class (so the common two- and three-class rows allocate nothing). The default value is a row that is not ranked (no vector, or more than
/// <see cref="MaxClasses"/> classes).
/// </summary>
public readonly struct RankCodes : IEquatable<RankCodes>
{
    /// <summary>The most classes a vector may have and be ranked one-vs-rest: past it the histograms would cost too much memory.</summary>
    public const int MaxClasses = 32;

    private readonly uint[]? _codes;
    private readonly uint _code0;
    private readonly uint _code1;
    private readonly uint _code2;
    private readonly ushort _truth;
    private readonly ushort _width;
    private readonly byte _step;

    private RankCodes(int width, int truth, ReadOnlySpan<uint> codes, byte step)
    {
        _width = (ushort)width;
        _truth = (ushort)Math.Min(truth, width);
        _step = step;
        if (codes.Length > 3)
        {
            _codes = codes.ToArray();
            return;
        }

        _code0 = codes[0];
        _code1 = codes.Length > 1 ? codes[1] : 0;
        _code2 = codes.Length > 2 ? codes[2] : 0;
    }

    private RankCodes(in RankCodes codes, int truth)
    {
        this = codes;
        _truth = (ushort)Math.Min(truth, _width);
    }

    /// <summary>The width of the row's vector; 0 when the row is not ranked.</summary>
    public int Width => _width;

    public bool IsRanked => _width > 0;

    /// <summary>The index of the true class in the vector, or <see cref="Width"/> when the vector does not score it.</summary>
    public int Truth => _truth;

    /// <summary>Two classes: how many threshold steps (0.05 … 0.95) the second class's score reaches.</summary>
    public int Step => _step;

    /// <summary>How many scores are ranked: 1 for two classes (the second one's), else one per class.</summary>
    public int Ranked => _width == 2 ? 1 : _width;

    /// <summary>The code of ranked score <paramref name="i"/> (class i, or for two classes the second class).</summary>
    public uint Code(int i) => _codes is { } codes ? codes[i] : _width == 2 ? _code0 : i switch
    {
        0 => _code0,
        1 => _code1,
        2 => _code2,
        _ => throw new ArgumentOutOfRangeException(nameof(i), $"A row of {_width} classes has no score {i}."),
    };

    /// <summary>Whether ranked score <paramref name="i"/> belongs to the true class (a positive of its one-vs-rest problem).</summary>
    public bool IsPositive(int i) => _width == 2 ? _truth == 1 : _truth == i;

    /// <summary>The codes of a probability vector against the index of the true class.</summary>
    public static RankCodes Of(ReadOnlySpan<double> probabilities, int truth)
    {
        var width = probabilities.Length;
        if (width < 2 || width > MaxClasses)
        {
            return default;
        }

        if (width == 2)
        {
            return new RankCodes(2, truth, [ScoreCodes.Of(probabilities[1])], ScoreCodes.StepOf(probabilities[1]));
        }

        Span<uint> codes = stackalloc uint[width];
        for (var c = 0; c < width; c++)
        {
            codes[c] = ScoreCodes.Of(probabilities[c]);
        }

        return new RankCodes(width, truth, codes, 0);
    }

    /// <summary>Codes as stored: the width, the truth index, the codes (one for two classes) and the step.</summary>
    public static RankCodes FromStored(int width, int truth, ReadOnlySpan<uint> codes, int step)
    {
        if (width == 0)
        {
            return default;
        }

        if (width < 2 || width > MaxClasses || codes.Length != (width == 2 ? 1 : width) || step is < 0 or > ScoreCodes.Thresholds)
        {
            throw new ArgumentException($"Stored rank codes do not fit a vector of {width} classes.");
        }

        return new RankCodes(width, truth, codes, width == 2 ? (byte)step : (byte)0);
    }

    public bool Equals(RankCodes other)
    {
        if (_width != other._width || _truth != other._truth || _code0 != other._code0 || _code1 != other._code1 || _code2 != other._code2 || _step != other._step)
        {
            return false;
        }

        return _codes is null ? other._codes is null : other._codes is not null && _codes.AsSpan().SequenceEqual(other._codes);
    }

    public override bool Equals(object? obj) => obj is RankCodes other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_width, _truth, _code0, _code1, _step, _codes?.Length ?? 0);

    public static bool operator ==(RankCodes left, RankCodes right) => left.Equals(right);

    public static bool operator !=(RankCodes left, RankCodes right) => !left.Equals(right);
}
