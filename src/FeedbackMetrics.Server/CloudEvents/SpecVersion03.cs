using System.Text.Json;
using System.Text.Json.Nodes;

namespace FeedbackMetrics.Server.CloudEvents;

/// <summary>
/// Reads CloudEvents 0.3 by upgrading it to 1.0 before the SDK (which knows 1.0 only) sees it:
/// <c>schemaurl</c> becomes <c>dataschema</c>, and base64 <c>datacontentencoding</c> becomes <c>data_base64</c>.
/// </summary>
internal static class SpecVersion03
{
    public const string VersionId = "0.3";

    /// <summary>The binary-mode attribute name in 1.0 for a 0.3 header name; null for one 1.0 drops.</summary>
    public static string? UpgradeAttributeName(string name) => name switch
    {
        "schemaurl" => "dataschema",
        "datacontentencoding" => null,
        _ => name,
    };

    /// <summary>Rewrites a structured or batch JSON body holding 0.3 events as 1.0; returns it unchanged when it holds none.</summary>
    public static ReadOnlyMemory<byte> UpgradeJson(ReadOnlyMemory<byte> body)
    {
        if (body.Span.IndexOf("\"0.3\""u8) < 0)
        {
            return body;
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return body; // the formatter reports the syntax error
        }

        switch (root)
        {
            case JsonObject single:
                Upgrade(single);
                break;
            case JsonArray batch:
                foreach (var item in batch)
                {
                    if (item is JsonObject o)
                    {
                        Upgrade(o);
                    }
                }

                break;
        }

        return JsonSerializer.SerializeToUtf8Bytes(root, SpecVersion03Json.Default.JsonNode);
    }

    private static void Upgrade(JsonObject cloudEvent)
    {
        if (cloudEvent["specversion"]?.GetValueKind() != JsonValueKind.String || cloudEvent["specversion"]!.GetValue<string>() != VersionId)
        {
            return;
        }

        cloudEvent["specversion"] = "1.0";
        if (cloudEvent.Remove("schemaurl", out var schema))
        {
            cloudEvent["dataschema"] = schema;
        }

        if (cloudEvent.Remove("datacontentencoding", out var encoding)
            && encoding?.GetValueKind() == JsonValueKind.String
            && string.Equals(encoding.GetValue<string>(), "base64", StringComparison.OrdinalIgnoreCase)
            && cloudEvent.Remove("data", out var data))
        {
            cloudEvent["data_base64"] = data;
        }
    }
}

/// <summary>Source-generated serializer for the 0.3 upgrade.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class SpecVersion03Json : System.Text.Json.Serialization.JsonSerializerContext;
