using System.Text.Json;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Tests.Core;

/// <summary>The unit cases of Seldon's own metrics server (adserver tests/test_cm_model.py), as our decoders must answer them.</summary>
public sealed class SeldonCaseTests
{
    private static List<SeldonCounterUpdate> Updates(DecoderKind kind, string body)
    {
        var decoder = new ClassDecoder(kind, maxClasses: 1000, binaryThreshold: 0.5);
        using var document = JsonDocument.Parse(body);
        var decoded = decoder.Decode(FeedbackPayload.Read(document.RootElement));
        return SeldonCounters.ForRows(decoded.Rows, kind == DecoderKind.BinaryMetrics);
    }

    [TestCase("""{"truth": [0], "response": 1}""", "seldon_metric_false_positive")]
    [TestCase("""{"truth": [1], "response": 1}""", "seldon_metric_true_positive")]
    [TestCase("""{"truth": [0], "response": 0}""", "seldon_metric_true_negative")]
    [TestCase("""{"truth": [1], "response": [0]}""", "seldon_metric_false_negative")]
    public void Binary_metrics_emit_exactly_one_counter(string body, string expected)
    {
        var updates = Updates(DecoderKind.BinaryMetrics, body);
        Assert.That(updates, Has.Count.EqualTo(1));
        Assert.That(updates[0].Key, Is.EqualTo(expected));
        Assert.That(updates[0].Class, Is.Null, "Seldon's binary counters carry no class label");
    }

    [Test]
    public void Multiclass_numeric_wrong_prediction_emits_false_positive_and_false_negative()
    {
        var updates = Updates(DecoderKind.MultiClassNumeric, """{"truth": [4], "response": 8}""");
        Assert.That(updates.Select(u => (u.Key, u.Class)), Is.EquivalentTo(new[]
        {
            ("seldon_metric_false_negative", "CLASS_4"),
            ("seldon_metric_false_positive", "CLASS_8"),
        }));
    }

    [Test]
    public void Multiclass_numeric_right_prediction_emits_one_true_positive()
    {
        var updates = Updates(DecoderKind.MultiClassNumeric, """{"truth": [7], "response": 7}""");
        Assert.That(updates.Select(u => (u.Key, u.Class, u.Value)), Is.EqualTo(new[] { ("seldon_metric_true_positive", "CLASS_7", 1L) }));
    }

    [TestCase("""{"truth": [0, 0, 1, 0], "response": [0, 0, 0, 1]}""", 2, 3)]
    [TestCase("""{"truth": [0.1, 0.2, 0.7, 0.1], "response": [0.1, 0.2, 0.1, 0.7]}""", 2, 3)]
    public void Multiclass_one_hot_wrong_prediction_emits_false_negative_and_false_positive(string body, int truth, int predicted)
    {
        var updates = Updates(DecoderKind.MulticlassOneHot, body);
        Assert.That(updates.Select(u => (u.Key, u.Class)), Is.EquivalentTo(new[]
        {
            ("seldon_metric_false_negative", $"CLASS_{truth}"),
            ("seldon_metric_false_positive", $"CLASS_{predicted}"),
        }));
    }

    [TestCase("""{"truth": [0, 0, 1, 0], "response": [0, 0, 1, 0]}""")]
    [TestCase("""{"truth": [0.1, 0.2, 0.7, 0.1], "response": [0.1, 0.2, 0.7, 0.1]}""")]
    public void Multiclass_one_hot_right_prediction_emits_one_true_positive(string body)
    {
        var updates = Updates(DecoderKind.MulticlassOneHot, body);
        Assert.That(updates.Select(u => (u.Key, u.Class)), Is.EqualTo(new[] { ("seldon_metric_true_positive", "CLASS_2") }));
    }
}
