using System.Globalization;
using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Tests.Core;

/// <summary>Responses and truths for the join tests, decoded from JSON bodies as the server reads them (one-hot decoder).</summary>
internal static class JoinInputs
{
    private static readonly ClassDecoder Decoder = new(DecoderKind.MulticlassOneHot, 1000, 0.5);

    /// <summary>A response body as a model server logs it; each row of the <c>ndarray</c> a score vector or a class index.</summary>
    public static DecodedResponse Response(string ndarray)
    {
        using var document = JsonDocument.Parse("""{"data": {"ndarray": """ + ndarray + "}}");
        return Decoder.DecodeResponse(MessageReader.Read(document.RootElement, "response"));
    }

    /// <summary>A response of score vectors, one per row, written with every digit so they read back exactly.</summary>
    public static DecodedResponse Response(IEnumerable<double[]> rows) =>
        Response("[" + string.Join(',', rows.Select(r => "[" + string.Join(',', r.Select(p => p.ToString("R", CultureInfo.InvariantCulture))) + "]")) + "]");

    /// <summary>A truth-only feedback's truth: one class index per row.</summary>
    public static DecodedTruth Truth(params int[] classes)
    {
        using var document = JsonDocument.Parse("""{"truth": {"data": {"ndarray": [""" + string.Join(',', classes.Select(c => $"[{c}]")) + "]}}}");
        return Decoder.DecodeTruth(TruthPayload.Read(document.RootElement).Truth);
    }
}
