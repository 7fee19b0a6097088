using System.Text;
using FeedbackMetrics.Core.Identity;
using StackExchange.Redis;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// Where the state lives in Redis. Every key carries the one hash tag <c>{PREFIX}</c>, so on a Redis Cluster the whole
/// state of one server is in one hash slot: the remembered ids are one set for every model (a redelivery is known
/// whichever model it names), and one script changes ids, models and counts of a request atomically — Redis runs a
/// script only within one slot. A model's keys are named by its tag: its four parts, percent-escaped, joined by '/'.
/// </summary>
internal sealed class RedisKeyNames(string prefix)
{
    private readonly string _tagged = $"{{{prefix}}}";

    /// <summary>The set of every model's tag (what start-up loads, what <c>--max_keys</c> counts).</summary>
    public RedisKey Models => $"{_tagged}:models";

    /// <summary>The remembered ids: digests (hex) scored by the Unix millisecond they are forgotten at.</summary>
    public RedisKey Ids => $"{_tagged}:ids";

    /// <summary>The metric events waiting for the reply URL: a stream read through one consumer group.</summary>
    public RedisKey Outbox => $"{_tagged}:outbox";

    /// <summary>A random name of this state, set once: when it changes, Redis lost the state and a new one began.</summary>
    public RedisKey Epoch => $"{_tagged}:epoch";

    /// <summary>The exporter lease: which replica writes the per-model series.</summary>
    public RedisKey Exporter => $"{_tagged}:exporter";

    /// <summary>What the scripts put before a model's tag to name its keys (<c>meta</c>, <c>classes</c>, <c>cells</c>).</summary>
    public string ModelPrefix => $"{_tagged}:model:";

    /// <summary>
    /// What the join's key names start with: <c>entry:SCOPE/REQUEST</c> (one hash per entry), <c>lru</c> (entry ids by
    /// their last change), <c>scopes</c> (every deployment's tag), <c>scope:SCOPE</c> (a deployment's sums), <c>seq</c>
    /// (the entries' versions). The scripts build these names from it.
    /// </summary>
    public string JoinPrefix => $"{_tagged}:join:";

    /// <summary>The entry ids by last change (Unix ms): what expiry and the cap read, oldest first.</summary>
    public RedisKey JoinLru => $"{JoinPrefix}lru";

    /// <summary>The set of every deployment's join tag.</summary>
    public RedisKey JoinScopes => $"{JoinPrefix}scopes";

    /// <summary>The tag of a deployment in the join: namespace and deployment, escaped, joined by '/'.</summary>
    public static string Tag(Core.Join.JoinScope scope) => $"{Escape(scope.Namespace)}/{Escape(scope.Deployment)}";

    /// <summary>The deployment a join tag names; null when the text is no tag this server writes.</summary>
    public static Core.Join.JoinScope? ParseScope(string tag)
    {
        var parts = tag.Split('/');
        return parts.Length == 2 ? new Core.Join.JoinScope(Unescape(parts[0]), Unescape(parts[1])) : null;
    }

    /// <summary>An entry's id (its key name after <c>entry:</c>): the deployment's tag, '/', the request id as sent.</summary>
    public static string EntryId(Core.Join.JoinScope scope, string requestId) => $"{Tag(scope)}/{requestId}";

    /// <summary>The tag of a model: its four parts, escaped, joined by '/'.</summary>
    public static string Tag(MetricKey key) => $"{Escape(key.Namespace)}/{Escape(key.Deployment)}/{Escape(key.Predictor)}/{Escape(key.Model)}";

    /// <summary>The model a tag names; null when the text is no tag this server writes.</summary>
    public static MetricKey? Parse(string tag)
    {
        var parts = tag.Split('/');
        return parts.Length == 4 ? new MetricKey(Unescape(parts[0]), Unescape(parts[1]), Unescape(parts[2]), Unescape(parts[3])) : null;
    }

    /// <summary>A model's three keys, in the order the scripts take them: version and rewards, classes, cells.</summary>
    public RedisKey[] Of(string tag) => [$"{ModelPrefix}{tag}:meta", $"{ModelPrefix}{tag}:classes", $"{ModelPrefix}{tag}:cells"];

    private static string Escape(string part)
    {
        var text = new StringBuilder(part.Length);
        foreach (var c in part)
        {
            if (c is '%' or '/')
            {
                text.Append('%').Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    private static string Unescape(string part) => part.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(part) : part;
}
