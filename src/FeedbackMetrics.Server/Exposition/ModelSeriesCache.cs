using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// What a scrape writes of the models, kept between scrapes: each model's blocks (<see cref="ModelSeries"/>) for one
/// view of its figures (<see cref="KeyAggregate.View"/> keeps a view until the model changes or a time-window bucket
/// boundary passes), until the view or the class names change; and the sections assembled from them (per family its header and every
/// model's block, in model order), kept while no model's blocks change. A scrape of unchanged models renders nothing
/// and copies nothing: it writes the same sections again.
/// </summary>
internal sealed class ModelSeriesCache(MetricsBook book, ModelSeries series, ClassDisplay display)
{
    private static readonly byte[][] Headers = [.. ModelSeries.Families.Select(PrometheusText.Header)];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<MetricKey, Entry> _entries = new();
    private readonly Lock _assembling = new();
    private Entry[] _assembledFrom = [];
    private byte[][] _sections = Headers;
    private Deflated? _compressed;
    private Deflated? _compressedEmpty;

    /// <summary>The headers alone: what a replica that does not export the model series writes.</summary>
    public static IReadOnlyList<byte[]> Empty => Headers;

    /// <summary>A section per family of <see cref="ModelSeries.Families"/> with every model's series, and how many models they hold.</summary>
    public (IReadOnlyList<byte[]> Sections, int Models) Current()
    {
        var names = display.Version;
        var entries = new List<Entry>(book.KeyCount);
        foreach (var aggregate in book.Aggregates)
        {
            // A model's view is the same object while its figures stand still (KeyAggregate.View).
            var view = aggregate.View();
            if (!_entries.TryGetValue(aggregate.Key, out var entry) || !ReferenceEquals(entry.View, view) || entry.Names != names)
            {
                entry = new Entry(aggregate.Key, view, names, series.Render(view));
                _entries[aggregate.Key] = entry;
            }

            entries.Add(entry);
        }

        if (_entries.Count > entries.Count)
        {
            foreach (var key in _entries.Keys)
            {
                if (!book.Contains(key))
                {
                    _entries.TryRemove(key, out _);
                }
            }
        }

        entries.Sort(static (a, b) => MetricKey.Compare(a.Key, b.Key));
        lock (_assembling)
        {
            if (!SameAs(entries))
            {
                _sections = Assemble(entries);
                _assembledFrom = [.. entries];
                _compressed = null;
            }

            return (_sections, entries.Count);
        }
    }

    /// <summary>
    /// The sections as the first part of a gzip member (<see cref="GzipStitch"/>): raw deflate, sync flushed, with their
    /// CRC-32 and length, compressed once per assembly. A scrape that asks for gzip (Prometheus does) of unchanged models
    /// compresses nothing of them and copies a twentieth of the bytes.
    /// </summary>
    public Deflated Compressed(IReadOnlyList<byte[]> sections)
    {
        lock (_assembling)
        {
            if (ReferenceEquals(sections, _sections))
            {
                return _compressed ??= Deflate(sections);
            }

            return ReferenceEquals(sections, Headers) ? _compressedEmpty ??= Deflate(sections) : Deflate(sections);
        }
    }

    private static Deflated Deflate(IReadOnlyList<byte[]> sections)
    {
        var crc = new System.IO.Hashing.Crc32();
        long length = 0;
        foreach (var section in sections)
        {
            crc.Append(section);
            length += section.Length;
        }

        return new Deflated(GzipStitch.Deflate(sections, last: false), crc.GetCurrentHashAsUInt32(), length);
    }

    private bool SameAs(List<Entry> entries)
    {
        if (entries.Count != _assembledFrom.Length)
        {
            return false;
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (!ReferenceEquals(entries[i], _assembledFrom[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static byte[][] Assemble(List<Entry> entries)
    {
        var sections = new byte[Headers.Length][];
        for (var f = 0; f < sections.Length; f++)
        {
            var length = Headers[f].Length;
            foreach (var entry in entries)
            {
                length += entry.Blocks[f].Length;
            }

            var section = new byte[length];
            Headers[f].CopyTo(section, 0);
            var at = Headers[f].Length;
            foreach (var entry in entries)
            {
                entry.Blocks[f].CopyTo(section, at);
                at += entry.Blocks[f].Length;
            }

            sections[f] = section;
        }

        return sections;
    }

    /// <summary>Sections compressed as a part of a gzip member: the deflate bytes, and the CRC-32 and length of what they hold.</summary>
    public sealed record Deflated(byte[] Bytes, uint Crc, long Length);

    /// <summary>One model's blocks, for one view of its figures and the class names they were rendered with.</summary>
    private sealed record Entry(MetricKey Key, KeyView View, long Names, byte[][] Blocks);
}
