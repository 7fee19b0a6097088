using System.Text;
using System.Text.Json;

namespace FeedbackMetrics.Core.Payloads;

/// <summary>Reads a TensorFlow TensorProto in its protobuf JSON form (<c>dtype</c>, <c>tensorShape.dim[].size</c>, <c>*Val</c>).</summary>
internal static class TfTensorReader
{
    public static Tensor Read(JsonElement proto, string side)
    {
        if (proto.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"{side} must be a TensorProto object.");
        }

        var shape = ReadShape(proto, side);
        var builder = new TensorBuilder(side, batchFirst: true);
        if (proto.TryGetProperty("stringVal", out var strings))
        {
            foreach (var item in EnumerateValues(strings, side))
            {
                builder.AddString(DecodeBase64(item, side));
            }

            return builder.Shape(shape);
        }

        foreach (var name in (ReadOnlySpan<string>)["floatVal", "doubleVal", "intVal", "int64Val", "boolVal", "uint32Val", "uint64Val"])
        {
            if (proto.TryGetProperty(name, out var values))
            {
                foreach (var item in EnumerateValues(values, side))
                {
                    builder.AddNumber(ReadNumber(item, $"{side}.{name}"));
                }

                return builder.Shape(shape);
            }
        }

        if (proto.TryGetProperty("tensorContent", out _))
        {
            throw Malformed($"{side}.tensorContent (raw bytes) is not read; send the values in floatVal, doubleVal, intVal or int64Val.");
        }

        throw Malformed($"{side} has no floatVal, doubleVal, intVal, int64Val, boolVal or stringVal.");
    }

    private static long[] ReadShape(JsonElement proto, string side)
    {
        if (!proto.TryGetProperty("tensorShape", out var tensorShape) || tensorShape.ValueKind != JsonValueKind.Object)
        {
            throw Malformed($"{side}.tensorShape is missing.");
        }

        if (!tensorShape.TryGetProperty("dim", out var dims))
        {
            return [];
        }

        if (dims.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{side}.tensorShape.dim must be an array.");
        }

        var shape = new long[dims.GetArrayLength()];
        var i = 0;
        foreach (var dim in dims.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Object || !dim.TryGetProperty("size", out var size))
            {
                throw Malformed($"{side}.tensorShape.dim[{i}] has no size.");
            }

            shape[i++] = MessageReader.ReadDimension(size, $"{side}.tensorShape.dim[{i}].size");
        }

        return shape;
    }

    private static JsonElement.ArrayEnumerator EnumerateValues(JsonElement values, string side) =>
        values.ValueKind == JsonValueKind.Array
            ? values.EnumerateArray()
            : throw Malformed($"{side} values must be an array.");

    private static double ReadNumber(JsonElement item, string side)
    {
        switch (item.ValueKind)
        {
            case JsonValueKind.Number when item.TryGetDouble(out var n):
                return n;
            case JsonValueKind.True:
                return 1;
            case JsonValueKind.False:
                return 0;
            case JsonValueKind.String when double.TryParse(item.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var s):
                return s; // protobuf JSON writes int64 values and "NaN"/"Infinity" as strings; non-finite ones are refused by the builder
            default:
                throw Malformed($"{side} holds {item.GetRawText()}, not a number.");
        }
    }

    private static string DecodeBase64(JsonElement item, string side)
    {
        if (item.ValueKind == JsonValueKind.String && item.TryGetBytesFromBase64(out var bytes))
        {
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw Malformed($"{side}.stringVal holds bytes that are not UTF-8.");
            }
        }

        throw Malformed($"{side}.stringVal holds {item.GetRawText()}, not base64.");
    }

    private static InvalidFeedbackException Malformed(string reason) => new(RejectionKind.Malformed, reason);
}
