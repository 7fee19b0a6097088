namespace FeedbackMetrics.Server.Storage.Sqlite;

/// <summary>One instance of each string read during a load: the keys of a million join entries are a few strings, not millions.</summary>
internal sealed class StringPool
{
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Of(string value)
    {
        if (_strings.TryGetValue(value, out var shared))
        {
            return shared;
        }

        _strings[value] = value;
        return value;
    }
}
