using System.Text.Json;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Payloads;

namespace FeedbackMetrics.Tests.Core;

public sealed class DecoderTests
{
    private static (int Truth, int Predicted)[] Decode(DecoderKind kind, string body, int maxClasses = 1000, double threshold = 0.5)
    {
        using var document = JsonDocument.Parse(body);
        var decoded = new ClassDecoder(kind, maxClasses, threshold).Decode(FeedbackPayload.Read(document.RootElement));
        return [.. decoded.Rows.Select(r => (r.Truth.Index, r.Predicted.Index))];
    }

    private static InvalidFeedbackException Refused(DecoderKind kind, string body, int maxClasses = 1000) =>
        Assert.Throws<InvalidFeedbackException>(() => Decode(kind, body, maxClasses))!;

    [Test]
    public void One_hot_ties_resolve_to_the_lowest_index_like_python_max()
    {
        Assert.That(Decode(DecoderKind.MulticlassOneHot, """{"truth": [0.4, 0.4, 0.2], "response": [0.1, 0.45, 0.45]}"""), Is.EqualTo(new[] { (0, 1) }));
    }

    [Test]
    public void Negative_scores_and_vectors_that_do_not_sum_to_one_decode_by_argmax()
    {
        Assert.That(Decode(DecoderKind.MulticlassOneHot, """{"truth": [0.1, 0.2, 0.7, 0.1], "response": [-3.5, -1.25, -2, -9]}"""), Is.EqualTo(new[] { (2, 1) }));
    }

    [Test]
    public void Every_row_of_a_batched_ndarray_is_one_observation()
    {
        var rows = Decode(DecoderKind.MulticlassOneHot, """
            {"truth": {"data": {"ndarray": [[1,0,0],[0,1,0],[0,0,1]]}},
             "response": {"data": {"ndarray": [[0.8,0.1,0.1],[0.7,0.2,0.1],[0.1,0.1,0.8]]}}}
            """);
        Assert.That(rows, Is.EqualTo(new[] { (0, 0), (1, 0), (2, 2) }));
    }

    [Test]
    public void Seldon_tensor_and_tftensor_encodings_are_read()
    {
        var rows = Decode(DecoderKind.MulticlassOneHot, """
            {"truth": {"data": {"tensor": {"shape": [2, 3], "values": [0,0,1, 1,0,0]}}},
             "response": {"data": {"tftensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}, {"size": 3}]}, "floatVal": [0.1,0.2,0.7, 0.5,0.3,0.2]}}}}
            """);
        Assert.That(rows, Is.EqualTo(new[] { (2, 2), (0, 0) }));
    }

    [Test]
    public void KServe_v1_and_v2_bodies_are_read()
    {
        var rows = Decode(DecoderKind.MultiClassNumeric, """
            {"truth": {"instances": [1, 2]},
             "response": {"outputs": [{"name": "label", "shape": [2], "datatype": "INT64", "data": [1, 0]}]}}
            """);
        Assert.That(rows, Is.EqualTo(new[] { (1, 1), (2, 0) }));
    }

    [Test]
    public void Numeric_vector_is_a_batch_of_classes_and_one_column_matrix_too()
    {
        Assert.That(Decode(DecoderKind.MultiClassNumeric, """{"truth": [1, 2, 3], "response": [[1], [0], [3]]}"""), Is.EqualTo(new[] { (1, 1), (2, 0), (3, 3) }));
    }

    [Test]
    public void Numeric_string_labels_become_named_classes()
    {
        using var document = JsonDocument.Parse("""{"truth": {"data": {"ndarray": ["cat", "dog"]}}, "response": {"data": {"ndarray": ["cat", "cat"]}}}""");
        var decoded = new ClassDecoder(DecoderKind.MultiClassNumeric, 100, 0.5).Decode(FeedbackPayload.Read(document.RootElement));
        Assert.That(decoded.Rows.Select(r => (r.Truth.DisplayName, r.Predicted.DisplayName)), Is.EqualTo(new[] { ("cat", "cat"), ("dog", "cat") }));
    }

    [TestCase(0.49, 0)]
    [TestCase(0.5, 1)]
    [TestCase(0.93, 1)]
    public void Binary_probability_is_compared_with_the_threshold(double probability, int expected)
    {
        Assert.That(Decode(DecoderKind.BinaryMetrics, $$"""{"truth": [1], "response": [{{probability.ToString(System.Globalization.CultureInfo.InvariantCulture)}}]}"""), Is.EqualTo(new[] { (1, expected) }));
    }

    [Test]
    public void Binary_threshold_is_configurable()
    {
        Assert.That(Decode(DecoderKind.BinaryMetrics, """{"truth": [1], "response": [0.6]}""", threshold: 0.7), Is.EqualTo(new[] { (1, 0) }));
    }

    [Test]
    public void Binary_two_column_probabilities_take_the_argmax()
    {
        Assert.That(Decode(DecoderKind.BinaryMetrics, """{"truth": [[0, 1], [1, 0]], "response": [[0.3, 0.7], [0.2, 0.8]]}"""), Is.EqualTo(new[] { (1, 1), (0, 1) }));
    }

    [TestCase("""{"truth": [[0,1],[1,0]], "response": [[0.5,0.5]]}""", "rows")]
    [TestCase("""{"truth": [], "response": []}""", "empty")]
    [TestCase("""{"truth": [[1,0],[1]], "response": [[1,0],[0,1]]}""", "different lengths")]
    [TestCase("""{"truth": [[[1]]], "response": [[[1]]]}""", "dimensions")]
    [TestCase("""{"truth": ["a", "b"], "response": [1, 0]}""", "strings")]
    [TestCase("""{"truth": [1e400, 0], "response": [1, 0]}""", "not finite")]
    [TestCase("""{"truth": [null, 1], "response": [1, 0]}""", "null")]
    [TestCase("""{"truth": {"jsonData": {"a": 1}}, "response": [1, 0]}""", "jsonData")]
    [TestCase("""{"truth": {"data": {"tensor": {"shape": [2, 2], "values": [1, 0, 0]}}}, "response": [1, 0]}""", "holds 3 values")]
    [TestCase("""{"response": [1, 0]}""", "no truth")]
    [TestCase("""{"truth": [1, 0]}""", "no response")]
    [TestCase("""[1, 0]""", "JSON object")]
    public void Malformed_one_hot_payloads_are_refused_with_a_reason(string body, string reason)
    {
        var e = Refused(DecoderKind.MulticlassOneHot, body);
        Assert.That(e.Kind, Is.EqualTo(RejectionKind.Malformed));
        Assert.That(e.Message, Does.Contain(reason));
    }

    [TestCase("""{"truth": [1.5], "response": [1]}""", "not a class index")]
    [TestCase("""{"truth": [-1], "response": [1]}""", "not a class index")]
    [TestCase("""{"truth": [["a", "b"]], "response": [["a", "b"]]}""", "vectors of strings")]
    public void Malformed_numeric_payloads_are_refused_with_a_reason(string body, string reason)
    {
        Assert.That(Refused(DecoderKind.MultiClassNumeric, body).Message, Does.Contain(reason));
    }

    [Test]
    public void Binary_values_outside_zero_and_one_are_refused()
    {
        Assert.That(Refused(DecoderKind.BinaryMetrics, """{"truth": [1], "response": [1.2]}""").Message, Does.Contain("probability"));
    }

    [Test]
    public void Class_index_past_the_class_cap_is_a_limit_refusal()
    {
        var e = Refused(DecoderKind.MultiClassNumeric, """{"truth": [99999], "response": [1]}""", maxClasses: 100);
        Assert.That(e.Kind, Is.EqualTo(RejectionKind.LimitExceeded));
        Assert.That(e.Message, Does.Contain("--max_classes"));
    }

    [Test]
    public void One_hot_vectors_wider_than_the_class_cap_are_a_limit_refusal()
    {
        var e = Refused(DecoderKind.MulticlassOneHot, $$"""{"truth": [{{string.Join(",", new int[200])}}], "response": [{{string.Join(",", new int[200])}}]}""", maxClasses: 100);
        Assert.That(e.Kind, Is.EqualTo(RejectionKind.LimitExceeded));
    }

    [TestCase(DecoderKind.MulticlassOneHot)]
    [TestCase(DecoderKind.MultiClassNumeric)]
    public void KServe_predictions_list_is_one_class_index_per_instance_whatever_the_default_decoder(DecoderKind kind)
    {
        // Two instances, one class index each: the case, read as one score vector (accuracy 1) before.
        Assert.That(Decode(kind, """{"truth": {"predictions": [1, 0]}, "response": {"predictions": [1, 1]}}"""), Is.EqualTo(new[] { (1, 1), (0, 1) }));
    }

    [TestCase(DecoderKind.MulticlassOneHot)]
    [TestCase(DecoderKind.MultiClassNumeric)]
    public void A_score_vector_per_row_is_argmax_whatever_the_default_decoder(DecoderKind kind)
    {
        Assert.That(
            Decode(kind, """{"truth": {"predictions": [2, 0]}, "response": {"predictions": [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]]}}"""),
            Is.EqualTo(new[] { (2, 2), (0, 0) }));
    }

    [Test]
    public void Open_inference_protocol_shape_makes_the_first_dimension_the_batch()
    {
        const string body = """
            {"truth": {"outputs": [{"name": "label", "shape": [3], "datatype": "INT64", "data": [0, 1, 2]}]},
             "response": {"outputs": [{"name": "predict", "shape": [3], "datatype": "INT64", "data": [0, 2, 2]}]}}
            """;
        Assert.That(Decode(DecoderKind.MulticlassOneHot, body), Is.EqualTo(new[] { (0, 0), (1, 2), (2, 2) }));
    }

    [Test]
    public void Seldon_one_dimensional_ndarray_keeps_the_storage_uri_meaning()
    {
        const string body = """{"truth": {"data": {"ndarray": [0, 0, 1]}}, "response": {"data": {"ndarray": [0.2, 0.7, 0.1]}}}""";
        Assert.That(Decode(DecoderKind.MulticlassOneHot, body), Is.EqualTo(new[] { (2, 1) }), "one score vector");
        Assert.That(Decode(DecoderKind.MultiClassNumeric, """{"truth": {"data": {"ndarray": [0, 0, 1]}}, "response": {"data": {"ndarray": [0, 1, 1]}}}"""), Is.EqualTo(new[] { (0, 0), (0, 1), (1, 1) }), "one class per element");
    }

    [Test]
    public void Seldon_tensor_shape_makes_the_first_dimension_the_batch()
    {
        const string body = """{"truth": {"data": {"tensor": {"shape": [2], "values": [1, 0]}}}, "response": {"data": {"tensor": {"shape": [2], "values": [1, 1]}}}}""";
        Assert.That(Decode(DecoderKind.MulticlassOneHot, body), Is.EqualTo(new[] { (1, 1), (0, 1) }));
    }

    [Test]
    public void Binary_model_reads_a_probability_pair_per_row_by_argmax()
    {
        Assert.That(Decode(DecoderKind.BinaryMetrics, """{"truth": {"predictions": [1, 0]}, "response": {"predictions": [[0.2, 0.8], [0.3, 0.7]]}}"""), Is.EqualTo(new[] { (1, 1), (0, 1) }));
        Assert.That(Refused(DecoderKind.BinaryMetrics, """{"truth": [[0, 0, 1]], "response": [[0.1, 0.1, 0.8]]}""").Message, Does.Contain("binary model"));
    }

    [Test]
    public void Reward_of_the_feedback_message_is_kept_and_must_be_a_number()
    {
        using var document = JsonDocument.Parse("""{"request": {"data": {"ndarray": [[5.1, 3.5]]}}, "response": [[0.9, 0.1]], "truth": [[1, 0]], "reward": 0.5, "meta": {}}""");
        Assert.That(new ClassDecoder(DecoderKind.MulticlassOneHot, 10, 0.5).Decode(FeedbackPayload.Read(document.RootElement)).Reward, Is.EqualTo(0.5));
        Assert.That(Refused(DecoderKind.MulticlassOneHot, """{"response": [[0.9, 0.1]], "truth": [[1, 0]], "reward": "high"}""").Message, Does.Contain("reward"));
    }

    [Test]
    public void Per_deployment_decoders_override_the_default_by_namespace_and_deployment()
    {
        var selector = new DecoderSelector(
            new ClassDecoder(DecoderKind.MulticlassOneHot, 100, 0.5),
            100,
            ["seldon/income=BinaryMetrics:0.3", "*/iris=adserver.cm_models.multiclass_numeric.MultiClassNumeric"]);
        var income = selector.For(new("seldon", "income", "default", "m"));
        Assert.That((income.Kind, income.Threshold), Is.EqualTo((DecoderKind.BinaryMetrics, 0.3)));
        Assert.That(selector.For(new("kserve", "iris", "default", "m")).Kind, Is.EqualTo(DecoderKind.MultiClassNumeric));
        Assert.That(selector.For(new("other", "income", "default", "m")).Kind, Is.EqualTo(DecoderKind.MulticlassOneHot));
    }

    [TestCase("income=BinaryMetrics", "NAMESPACE/DEPLOYMENT")]
    [TestCase("seldon/income=Nope", "unknown decoder")]
    [TestCase("seldon/income=BinaryMetrics:1.5", "threshold")]
    public void Bad_per_deployment_decoders_are_refused_with_a_reason(string item, string reason)
    {
        var e = Assert.Throws<FormatException>(() => _ = new DecoderSelector(new ClassDecoder(DecoderKind.MulticlassOneHot, 100, 0.5), 100, [item]));
        Assert.That(e!.Message, Does.Contain(reason));
    }
}
