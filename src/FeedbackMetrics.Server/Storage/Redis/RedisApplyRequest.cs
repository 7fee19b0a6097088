using System.Buffers;
using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// One request's events made ready for the apply script: digests, the same event twice in the request counted once,
/// the events grouped by model in the order they came, and the script's JSON argument.
/// </summary>
internal sealed class RedisApplyRequest
{
    private RedisApplyRequest(IReadOnlyList<FeedbackEvent?> events, IReadOnlyList<DecodedFeedback?>? replaced, IReadOnlyList<string?>? entryIds, List<Group> groups, bool[] repeated)
    {
        Events = events;
        Replaced = replaced;
        EntryIds = entryIds;
        Groups = groups;
        Repeated = repeated;
        ExpectedFlags = [.. groups.Select(g => new string('1', g.Events.Count))];
    }

    /// <summary>What is counted per event of the request; null for an event that counts nothing here (a join half that joined nothing).</summary>
    public IReadOnlyList<FeedbackEvent?> Events { get; }

    /// <summary>Per event, for a relabel, the rows its rows replace (their cells go down as the new ones go up).</summary>
    public IReadOnlyList<DecodedFeedback?>? Replaced { get; }

    /// <summary>Per event of a join, the id of its join entry (where the apply script notes where its rows were counted).</summary>
    public IReadOnlyList<string?>? EntryIds { get; }

    /// <summary>The models of the request, each with its events (indices into <see cref="Events"/>).</summary>
    public List<Group> Groups { get; }

    /// <summary>
    /// Per model, which of its events ('1') the caller expects the script to find new (all at first; what a stale
    /// answer said after one): with an outbox, the metric events written are worked out from it.
    /// </summary>
    public string[] ExpectedFlags { get; }

    /// <summary>True for an event whose (source, id, type) came earlier in the same request.</summary>
    public bool[] Repeated { get; }

    public static RedisApplyRequest Of(IReadOnlyList<FeedbackEvent?> events, IReadOnlyList<DecodedFeedback?>? replaced = null, IReadOnlyList<string?>? entryIds = null)
    {
        var repeated = new bool[events.Count];
        var seen = new HashSet<UInt128>();
        var groups = new List<Group>();
        var byKey = new Dictionary<MetricKey, Group>();
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is not { } e)
            {
                continue;
            }

            var hash = EventHash.Of(e.Id);
            if (!seen.Add(hash))
            {
                repeated[i] = true;
                continue;
            }

            if (!byKey.TryGetValue(e.Key, out var group))
            {
                group = new Group(e.Key, RedisKeyNames.Tag(e.Key));
                byKey[e.Key] = group;
                groups.Add(group);
            }

            group.Events.Add(i);
            group.Hashes.Add(hash.ToString("x32", CultureInfo.InvariantCulture));
        }

        return new RedisApplyRequest(events, replaced, entryIds, groups, repeated);
    }

    /// <summary>
    /// The class names an event brings, in the order the read model registers them (<c>ClassSet.Register</c>): the
    /// one-hot width's CLASS_0…CLASS_{w-1}, then per row truth and prediction, a numeric class i bringing CLASS_0…CLASS_i.
    /// </summary>
    public static List<string> ClassesOf(DecodedFeedback feedback)
    {
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var walked = -1;
        void Index(int i)
        {
            for (; walked < i; walked++)
            {
                var name = ClassNames.ForIndex(walked + 1);
                if (seen.Add(name))
                {
                    names.Add(name);
                }
            }
        }

        void Label(ClassLabel label)
        {
            if (label.Name is null)
            {
                Index(label.Index);
            }
            else if (seen.Add(label.Name))
            {
                names.Add(label.Name);
            }
        }

        Index(feedback.ClassWidth - 1);
        foreach (var row in feedback.Rows)
        {
            Label(row.Truth);
            Label(row.Predicted);
        }

        return names;
    }

    /// <summary>
    /// The apply script's argument for these groups, given the version of each model the caller holds, the figures
    /// shared besides the cells and now, and per model the k its rows are scored with (0: not chosen yet).
    /// </summary>
    public byte[] ScriptArgument(ApplyLimits limits, IReadOnlyList<long> heldVersions, RedisSharedFigures shared, DateTimeOffset now, Func<MetricKey, int> topK, Action<Utf8JsonWriter>? join = null, OutboxPart? outbox = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * Events.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("ttl", limits.TtlMs);
            json.WriteNumber("maxIds", limits.MaxIds);
            json.WriteNumber("maxClasses", limits.MaxClasses);
            json.WriteNumber("maxKeys", limits.MaxKeys);
            shared.WriteHeader(json, now);
            json.WriteStartArray("keys");
            for (var g = 0; g < Groups.Count; g++)
            {
                var group = Groups[g];
                json.WriteStartObject();
                json.WriteString("t", group.Tag);
                json.WriteNumber("v", heldVersions[g]);
                json.WriteStartArray("ev");
                var k = topK(group.Key);
                for (var j = 0; j < group.Events.Count; j++)
                {
                    var index = group.Events[j];
                    WriteEvent(json, group.Hashes[j], Events[index]!.Feedback, Replaced?[index], EntryIds?[index], k);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            join?.Invoke(json);
            if (outbox is { } o)
            {
                json.WriteStartObject("o");
                json.WriteString("s", o.Stream);
                json.WriteString("g", o.Group);
                json.WriteString("c", o.Consumer);
                json.WriteNumber("a", o.FirstArgument);
                json.WriteNumber("n", o.Count);
                json.WriteNumber("t", o.TurnMs);
                json.WriteStartArray("f");
                foreach (var flags in ExpectedFlags)
                {
                    json.WriteStringValue(flags);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteEvent(Utf8JsonWriter json, string hash, DecodedFeedback feedback, DecodedFeedback? replaced, string? entryId, int topK)
    {
        // A relabel's rows name the classes it brings first, in the order the read model registers them; the rows it
        // replaces were counted, so their classes are known already.
        var names = ClassesOf(feedback);
        if (replaced is not null)
        {
            names.AddRange(ClassesOf(replaced).Where(n => !names.Contains(n)));
        }

        var index = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            index[names[i]] = i;
        }

        var cells = new Dictionary<(int, int), long>();
        void Add(Observation row, long count)
        {
            var cell = (index[row.Truth.DisplayName], index[row.Predicted.DisplayName]);
            cells[cell] = cells.GetValueOrDefault(cell) + count;
        }

        foreach (var row in feedback.Rows)
        {
            Add(row, 1);
        }

        foreach (var row in replaced?.Rows ?? [])
        {
            Add(row, -1);
        }

        json.WriteStartObject();
        json.WriteString("h", hash);
        json.WriteStartArray("n");
        foreach (var name in names)
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteStartArray("c");
        foreach (var ((t, p), count) in cells)
        {
            json.WriteNumberValue(t);
            json.WriteNumberValue(p);
            json.WriteNumberValue(count);
        }

        json.WriteEndArray();
        if (replaced is not null)
        {
            // The cell each row whose truth changed leaves: counted apart so that no counter goes down.
            json.WriteStartArray("m");
            for (var i = 0; i < replaced.Rows.Length; i++)
            {
                if (replaced.Rows[i].Truth.DisplayName != feedback.Rows[i].Truth.DisplayName)
                {
                    json.WriteNumberValue(index[replaced.Rows[i].Truth.DisplayName]);
                    json.WriteNumberValue(index[replaced.Rows[i].Predicted.DisplayName]);
                    json.WriteNumberValue(1);
                }
            }

            json.WriteEndArray();
        }

        if (feedback.Reward is { } reward && replaced is null)
        {
            json.WriteString("r", reward.ToString("R", CultureInfo.InvariantCulture));
        }

        if (entryId is not null)
        {
            json.WriteString("j", entryId);
        }

        RedisSharedFigures.WriteEvent(json, feedback, replaced, index, topK);
        json.WriteEndObject();
    }

    /// <summary>
    /// The outbox part of the apply script's argument: the stream, its consumer group and this replica's consumer, and
    /// where in ARGV the <paramref name="Count"/> metric events to write start, and how long a stale answer gives the
    /// caller the model's turn (ms).
    /// </summary>
    internal readonly record struct OutboxPart(string Stream, string Group, string Consumer, int FirstArgument, int Count, long TurnMs);

    /// <summary>The limits the apply script checks: id TTL (ms) and cap, classes per model, models.</summary>
    internal readonly record struct ApplyLimits(long TtlMs, int MaxIds, int MaxClasses, int MaxKeys);

    /// <summary>One model's part of a request.</summary>
    internal sealed class Group(MetricKey key, string tag)
    {
        public MetricKey Key { get; } = key;

        public string Tag { get; } = tag;

        public List<int> Events { get; } = [];

        public List<string> Hashes { get; } = [];
    }
}
