using System.Text.Json;

namespace FeedbackMetrics.Core.Payloads;

/// <summary>
/// Reads one side of a feedback (truth or response) in any of the shapes model servers send:
/// a Seldon message (<c>data.ndarray</c>, <c>data.tensor</c>, <c>data.tftensor</c>), KServe v1
/// (<c>predictions</c> / <c>instances</c>), KServe v2 (<c>outputs</c> / <c>inputs</c>), or a plain value or array.
/// </summary>
public static class MessageReader
{
    public static Tensor Read(JsonElement message, string side)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return TensorBuilder.FromNdarray(message, side);
        }

        if (message.TryGetProperty("data", out var data))
        {
            return ReadSeldonData(data, side);
        }

        foreach (var name in (ReadOnlySpan<string>)["predictions", "instances"])
        {
            if (message.TryGetProperty(name, out var rows))
            {
                return TensorBuilder.FromNdarray(rows, $"{side}.{name}", batchFirst: true);
            }
        }

        foreach (var name in (ReadOnlySpan<string>)["outputs", "inputs"])
        {
            if (message.TryGetProperty(name, out var tensors))
            {
                return ReadKServeV2(tensors, $"{side}.{name}");
            }
        }

        foreach (var name in (ReadOnlySpan<string>)["jsonData", "strData", "binData"])
        {
            if (message.TryGetProperty(name, out _))
            {
                throw Malformed($"{side}.{name} is not a class encoding this server reads; send data.ndarray, data.tensor or data.tftensor.");
            }
        }

        throw Malformed($"{side} has no data.ndarray, data.tensor or data.tftensor (nor KServe predictions/outputs).");
    }

    /// <summary>
    /// The <c>model_name</c> of an Open Inference Protocol (KServe v2) response, when the message is one and names its
    /// model with a non-empty string; null otherwise (a Seldon message or KServe v1 body names none).
    /// </summary>
    public static string? ModelName(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object
        && message.TryGetProperty("model_name", out var name)
        && name.ValueKind == JsonValueKind.String
        && name.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static Tensor ReadSeldonData(JsonElement data, string side)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"{side}.data must be an object.");
        }

        var names = ReadNames(data, side);
        if (data.TryGetProperty("ndarray", out var ndarray))
        {
            return TensorBuilder.FromNdarray(ndarray, $"{side}.data.ndarray").Named(names);
        }

        if (data.TryGetProperty("tensor", out var tensor))
        {
            return ReadSeldonTensor(tensor, $"{side}.data.tensor").Named(names);
        }

        if (data.TryGetProperty("tftensor", out var tftensor))
        {
            return TfTensorReader.Read(tftensor, $"{side}.data.tftensor").Named(names);
        }

        throw Malformed($"{side}.data has none of ndarray, tensor or tftensor.");
    }

    /// <summary>Seldon's <c>data.names</c>: a list of strings (the proto's <c>repeated string names</c>), or absent.</summary>
    private static string[]? ReadNames(JsonElement data, string side)
    {
        if (!data.TryGetProperty("names", out var names) || names.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (names.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{side}.data.names must be an array of strings.");
        }

        var read = new string[names.GetArrayLength()];
        var i = 0;
        foreach (var name in names.EnumerateArray())
        {
            read[i] = name.ValueKind == JsonValueKind.String
                ? name.GetString()!
                : throw Malformed($"{side}.data.names must be an array of strings; item {i + 1} is {name.GetRawText()}.");
            i++;
        }

        return read;
    }

    private static Tensor ReadSeldonTensor(JsonElement tensor, string side)
    {
        if (tensor.ValueKind != JsonValueKind.Object
            || !tensor.TryGetProperty("shape", out var shape)
            || !tensor.TryGetProperty("values", out var values))
        {
            throw Malformed($"{side} must be an object with shape and values.");
        }

        if (values.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{side}.values must be an array.");
        }

        return TensorBuilder.FromFlat(values, ReadShape(shape, $"{side}.shape"), side);
    }

    private static Tensor ReadKServeV2(JsonElement tensors, string side)
    {
        if (tensors.ValueKind != JsonValueKind.Array || tensors.GetArrayLength() == 0)
        {
            throw Malformed($"{side} must be a non-empty array of tensors.");
        }

        var first = tensors[0];
        if (first.ValueKind != JsonValueKind.Object
            || !first.TryGetProperty("shape", out var shape)
            || !first.TryGetProperty("data", out var values))
        {
            throw Malformed($"{side}[0] must be an object with shape and data.");
        }

        return TensorBuilder.FromFlat(values, ReadShape(shape, $"{side}[0].shape"), $"{side}[0]");
    }

    internal static long[] ReadShape(JsonElement shape, string side)
    {
        if (shape.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{side} must be an array of integers.");
        }

        var dims = new long[shape.GetArrayLength()];
        var i = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            dims[i++] = ReadDimension(dim, side);
        }

        return dims;
    }

    internal static long ReadDimension(JsonElement dim, string side)
    {
        // Protobuf JSON writes int64 as a string, so both forms are accepted.
        var ok = dim.ValueKind switch
        {
            JsonValueKind.Number => dim.TryGetInt64(out var n) ? n : (long?)null,
            JsonValueKind.String => long.TryParse(dim.GetString(), out var s) ? s : null,
            _ => null,
        };
        return ok is >= 0 ? ok.Value : throw Malformed($"{side} holds {dim.GetRawText()}, not a non-negative integer.");
    }

    private static InvalidFeedbackException Malformed(string reason) => new(RejectionKind.Malformed, reason);
}
