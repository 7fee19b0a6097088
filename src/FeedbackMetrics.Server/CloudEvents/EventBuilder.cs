using System.Text.Json;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// Collects the attributes of one event from any mode (headers or JSON members), maps CloudEvents 0.3 names
/// to 1.0, and checks the required ones and their formats before an <see cref="IncomingEvent"/> is made.
/// </summary>
internal sealed class EventBuilder(string where)
{
    public const string V10 = "1.0";
    public const string V03 = "0.3";

    /// <summary>Context attributes of 1.0 (and 0.3's <c>schemaurl</c>, <c>datacontentencoding</c>): all strings in the JSON format.</summary>
    private static readonly HashSet<string> StringAttributes = new(StringComparer.Ordinal)
    {
        "specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "schemaurl", "datacontentencoding",
    };

    private readonly Dictionary<string, string> _attributes = new(StringComparer.Ordinal);
    private string? _specVersion;
    private string? _id;
    private string? _source;
    private string? _type;
    private string? _time;
    private string? _dataContentType;

    public string? SpecVersion => _specVersion;

    public string? DataContentType => _dataContentType;

    /// <summary>0.3's <c>datacontentencoding</c> (structured mode: "base64" means data is a base64 string).</summary>
    public string? DataContentEncoding { get; private set; }

    public void Set(string name, string value)
    {
        if (!AttributeRules.IsValidName(name))
        {
            throw AttributeRules.Bad($"{where}: '{name}' is not a valid CloudEvents attribute name (lower-case letters and digits only).");
        }

        switch (name)
        {
            case "specversion":
                _specVersion = value;
                break;
            case "id":
                _id = value;
                break;
            case "source":
                _source = value;
                break;
            case "type":
                _type = value;
                break;
            case "time":
                _time = value;
                break;
            case "datacontenttype":
                _dataContentType = value;
                break;
            case "schemaurl" when _specVersion == V03:
                _attributes["dataschema"] = value;
                break;
            case "datacontentencoding" when _specVersion == V03:
                DataContentEncoding = value;
                break;
            default:
                _attributes[name] = value;
                break;
        }
    }

    /// <summary>
    /// Sets a structured-mode member: strings as they are, numbers and booleans as their JSON text, null as absent.
    /// The context attributes the specifications define are all strings in the JSON format (String, URI-reference,
    /// URI or Timestamp, each a JSON string), so a number or boolean there is refused, as the SDKs refuse it: an
    /// <c>id</c> of <c>25</c> is not the id <c>"25"</c>. Extension values may also be numbers or booleans (the type
    /// system's Integer and Boolean); they are kept as their JSON text. An Integer is narrower than a JSON number (no
    /// fraction, 32 bits), but extensions are only echoed and read as labels, so a wider number costs no event.
    /// </summary>
    public void Set(string name, JsonElement value)
    {
        if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null or JsonValueKind.Object or JsonValueKind.Array)
            && StringAttributes.Contains(name))
        {
            var text = value.GetRawText();
            throw AttributeRules.Bad(
                $"{where}: attribute '{name}' is the JSON {(value.ValueKind == JsonValueKind.Number ? "number" : "boolean")} {Shorten(text)}; "
                + $"the CloudEvents JSON format requires '{name}' to be a JSON string (\"{Shorten(text)}\").");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                Set(name, value.GetString()!);
                break;
            case JsonValueKind.Number:
                Set(name, value.GetRawText());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                Set(name, value.ValueKind == JsonValueKind.True ? "true" : "false");
                break;
            case JsonValueKind.Null:
                break;
            default:
                throw AttributeRules.Bad($"{where}: attribute '{name}' is a JSON {value.ValueKind}; attributes are strings, numbers or booleans.");
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    public void CheckSpecVersion()
    {
        if (_specVersion is not (V10 or V03))
        {
            throw AttributeRules.Bad($"{where}: CloudEvents specversion '{_specVersion}' is not supported; use 1.0 or 0.3.");
        }
    }

    public IncomingEvent Build(JsonElement? data, string? dataNotJson = null)
    {
        CheckSpecVersion();
        var missing = new List<string>(3);
        if (string.IsNullOrEmpty(_id))
        {
            missing.Add("id");
        }

        if (string.IsNullOrEmpty(_source))
        {
            missing.Add("source");
        }

        if (string.IsNullOrEmpty(_type))
        {
            missing.Add("type");
        }

        if (missing.Count > 0)
        {
            throw AttributeRules.Bad($"{where}: the CloudEvent lacks required attribute(s): {string.Join(", ", missing)}.");
        }

        if (!AttributeRules.IsUriReference(_source!))
        {
            throw AttributeRules.Bad($"{where}: source '{_source}' is not a URI-reference (RFC 3986).");
        }

        if (_time is not null && !AttributeRules.TryParseTime(_time, out _))
        {
            throw AttributeRules.Bad($"{where}: time '{_time}' is not an RFC 3339 timestamp.");
        }

        return new IncomingEvent
        {
            SpecVersion = _specVersion!,
            Id = _id!,
            Source = _source!,
            Type = _type!,
            Time = _time,
            DataContentType = _dataContentType,
            Attributes = _attributes,
            Data = data,
            DataNotJson = dataNotJson,
        };
    }
}
