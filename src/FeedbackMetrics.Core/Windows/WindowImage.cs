using FeedbackMetrics.Core.Statistics;

namespace FeedbackMetrics.Core.Windows;

/// <summary>
/// One window of a key, as stored: a count window's rows still in it (in sequence order) with its exact sums; a time
/// window's buckets that hold rows. <see cref="NextSequence"/> is the sequence the key's next row gets.
/// </summary>
public sealed record WindowImage(string Name, IReadOnlyList<(long Sequence, WindowRow Row)> Rows, ProbabilitySums? Sums, IReadOnlyList<BucketState> Buckets, long NextSequence);
