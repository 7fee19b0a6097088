using System.Buffers;
using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
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
    private RedisApplyRequest(IReadOnlyList<FeedbackEvent> events, List<Group> groups, bool[] repeated)
    {
        Events = events;
        Groups = groups;
        Repeated = repeated;
    }

    public IReadOnlyList<FeedbackEvent> Events { get; }

    /// <summary>The models of the request, each with its events (indices into <see cref="Events"/>).</summary>
    public List<Group> Groups { get; }

    /// <summary>True for an event whose (source, id, type) came earlier in the same request.</summary>
    public bool[] Repeated { get; }

    public static RedisApplyRequest Of(IReadOnlyList<FeedbackEvent> events)
    {
        var repeated = new bool[events.Count];
        var seen = new HashSet<UInt128>();
        var groups = new List<Group>();
        var byKey = new Dictionary<MetricKey, Group>();
        for (var i = 0; i < events.Count; i++)
        {
            var hash = EventHash.Of(events[i].Id);
            if (!seen.Add(hash))
            {
                repeated[i] = true;
                continue;
            }

            if (!byKey.TryGetValue(events[i].Key, out var group))
            {
                group = new Group(events[i].Key, RedisKeyNames.Tag(events[i].Key));
                byKey[events[i].Key] = group;
                groups.Add(group);
            }

            group.Events.Add(i);
            group.Hashes.Add(hash.ToString("x32", CultureInfo.InvariantCulture));
        }

        return new RedisApplyRequest(events, groups, repeated);
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

    /// <summary>The apply script's argument for these groups, given the version of each model the caller holds.</summary>
    public byte[] ScriptArgument(long ttlMs, int maxIds, int maxClasses, int maxKeys, IReadOnlyList<long> heldVersions)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * Events.Count);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("ttl", ttlMs);
            json.WriteNumber("maxIds", maxIds);
            json.WriteNumber("maxClasses", maxClasses);
            json.WriteNumber("maxKeys", maxKeys);
            json.WriteStartArray("keys");
            for (var g = 0; g < Groups.Count; g++)
            {
                var group = Groups[g];
                json.WriteStartObject();
                json.WriteString("t", group.Tag);
                json.WriteNumber("v", heldVersions[g]);
                json.WriteStartArray("ev");
                for (var j = 0; j < group.Events.Count; j++)
                {
                    WriteEvent(json, group.Hashes[j], Events[group.Events[j]].Feedback);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteEvent(Utf8JsonWriter json, string hash, DecodedFeedback feedback)
    {
        var names = ClassesOf(feedback);
        var index = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            index[names[i]] = i;
        }

        var cells = new Dictionary<(int, int), long>();
        foreach (var row in feedback.Rows)
        {
            var cell = (index[row.Truth.DisplayName], index[row.Predicted.DisplayName]);
            cells[cell] = cells.GetValueOrDefault(cell) + 1;
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
        if (feedback.Reward is { } reward)
        {
            json.WriteString("r", reward.ToString("R", CultureInfo.InvariantCulture));
        }

        json.WriteEndObject();
    }

    /// <summary>One model's part of a request.</summary>
    internal sealed class Group(MetricKey key, string tag)
    {
        public MetricKey Key { get; } = key;

        public string Tag { get; } = tag;

        public List<int> Events { get; } = [];

        public List<string> Hashes { get; } = [];
    }
}
