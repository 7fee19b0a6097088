using System.Globalization;
using System.Text;
using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Core.Statistics;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// What a request's join does on Redis, decided by the C# ledger rather than in Lua: the entries the request touches
/// and their deployments' sums, as read (<see cref="RedisJoinScripts.Read"/>), are restored into a scratch
/// <see cref="JoinLedger"/>, which answers the request's response and truth-only events in order (with
/// <see cref="JoinPlanner"/>, so a refusal refuses the request whole); what it changed becomes the join part of the
/// apply script: entries to write or delete, each checked to be unchanged since the read, and the sums' deltas.
/// </summary>
internal sealed partial class RedisJoinPlan
{
    private readonly List<(string Id, long Version, JoinRecord? Before)> _read = [];
    private readonly List<byte[]> _blobs = [];
    private readonly List<Action<Utf8JsonWriter>> _entries = [];
    private readonly List<Action<Utf8JsonWriter>> _scopes = [];
    private int _changed;

    private RedisJoinPlan(int events)
    {
        Counted = new FeedbackEvent?[events];
        Replaced = new DecodedFeedback?[events];
        Steps = new LegacyJoinStep?[events];
        Fresh = new bool[events];
    }

    /// <summary>Per event, what the apply script counts for it (an event as is, or the rows a join counts or moves); null for none.</summary>
    public FeedbackEvent?[] Counted { get; }

    /// <summary>Per event, for a relabel, the rows it replaces.</summary>
    public DecodedFeedback?[] Replaced { get; }

    /// <summary>Per join event taken as new, the ledger's answer.</summary>
    public LegacyJoinStep?[] Steps { get; }

    /// <summary>Per event, the id of the join entry it changes (null for an event that is no join half).</summary>
    public string?[] EntryIds() => [.. Steps.Select(s => s is null ? null : RedisKeyNames.EntryId(s.Scope, s.Part.RequestId))];

    /// <summary>Per event, whether it was unknown when read.</summary>
    public bool[] Fresh { get; }

    /// <summary>Digests of join events taken as new that count nothing: remembered by the apply script as they are.</summary>
    public List<string> Remembered { get; } = [];

    /// <summary>Digests of every join event taken as new (the apply script checks they still are).</summary>
    public List<string> Checked { get; } = [];

    /// <summary>The records written, for the apply script's ARGV[2…].</summary>
    public IReadOnlyList<byte[]> Blobs => _blobs;

    /// <summary>
    /// False when the request changes nothing (every event redelivered, or a truth the same as the one joined): it
    /// is answered from the read alone, one round trip.
    /// </summary>
    public bool Writes => _changed > 0 || _scopes.Count > 0 || Remembered.Count > 0 || Counted.Any(c => c is not null);

    /// <summary>What to read for a request: digests of its events, entry ids and deployment tags of its join halves.</summary>
    public static string Query(IReadOnlyList<FeedbackEvent> events, IReadOnlyList<string> hashes)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            Strings(json, "h", hashes);
            Strings(json, "e", events.Where(e => e.Join is not null).Select(e => RedisKeyNames.EntryId(JoinScope.Of(e.Key), e.Join!.RequestId)).Distinct());
            Strings(json, "s", events.Where(e => e.Join is not null).Select(e => RedisKeyNames.Tag(JoinScope.Of(e.Key))).Distinct());
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Decides the request on what was read. <paramref name="hashes"/>: per event its digest, null for an event
    /// repeated earlier in the request. Throws the ledger's refusal (nothing is written then).
    /// </summary>
    public static RedisJoinPlan Decide(IReadOnlyList<FeedbackEvent> events, IReadOnlyList<string?> hashes, RedisResult[] read, JoinLimits limits, TimeProvider clock, MetricsBook book)
    {
        var plan = new RedisJoinPlan(events.Count);
        var flags = (string)read[0]!;
        var next = 0;
        for (var i = 0; i < events.Count; i++)
        {
            plan.Fresh[i] = hashes[i] is not null && flags[next++] == '1';
        }

        var ids = events.Where(e => e.Join is not null).Select(e => (JoinScope.Of(e.Key), e.Join!.RequestId)).Distinct().ToList();
        var entries = (RedisResult[])read[1]!;
        var records = new List<JoinRecord>();
        for (var i = 0; i < ids.Count; i++)
        {
            var entry = (RedisResult[])entries[i]!;
            var blob = (byte[])entry[1]!;
            var record = blob.Length == 0 ? null : JoinBlob.ReadRecord(ids[i].Item1, ids[i].RequestId, blob);
            plan._read.Add((RedisKeyNames.EntryId(ids[i].Item1, ids[i].RequestId), long.Parse((string)entry[0]!, CultureInfo.InvariantCulture), record));
            if (record is not null)
            {
                records.Add(record);
            }
        }

        var scopes = ids.Select(id => id.Item1).Distinct().ToList();
        var sums = (RedisResult[])read[2]!;
        var before = scopes.Select((scope, i) => RedisJoinSums.Parse((RedisResult[])sums[i]!).State(scope)).ToDictionary(s => s.Scope);
        var ledger = new JoinLedger(limits, clock);
        ledger.Restore(records, before.Values);

        var fresh = new List<FeedbackEvent>();
        for (var i = 0; i < events.Count; i++)
        {
            if (plan.Fresh[i])
            {
                fresh.Add(events[i]);
            }
        }

        var steps = new Dictionary<FeedbackEvent, LegacyJoinStep>(ReferenceEqualityComparer.Instance);
        foreach (var step in JoinPlanner.Admit(ledger, new CapacityPlan(book), fresh, events.Count))
        {
            steps[step.Event] = step;
        }

        for (var i = 0; i < events.Count; i++)
        {
            if (!plan.Fresh[i])
            {
                continue;
            }

            if (events[i].Join is null)
            {
                plan.Counted[i] = events[i];
                continue;
            }

            var taken = steps[events[i]];
            plan.Steps[i] = taken;
            plan.Checked.Add(hashes[i]!);
            if (taken.Admitted is { } admitted)
            {
                plan.Counted[i] = admitted;
                plan.Replaced[i] = taken.Result.Action == JoinAction.Corrected ? taken.Result.Replaced : null;
            }
            else
            {
                plan.Remembered.Add(hashes[i]!);
            }
        }

        plan.Changes(ledger.TakeChanges(), before);
        return plan;
    }

    /// <summary>The join part of the apply script's argument.</summary>
    public void Write(Utf8JsonWriter json, string prefix, int maxEntries)
    {
        json.WriteStartObject("j");
        json.WriteString("p", prefix);
        json.WriteNumber("max", maxEntries);
        Strings(json, "h", Checked);
        Strings(json, "r", Remembered);
        json.WriteStartArray("e");
        foreach (var entry in _entries)
        {
            entry(json);
        }

        json.WriteEndArray();
        json.WriteStartArray("s");
        foreach (var scope in _scopes)
        {
            scope(json);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var v in values)
        {
            json.WriteStringValue(v);
        }

        json.WriteEndArray();
    }
}
