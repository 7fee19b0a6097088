using System.Text.Json;
using System.Text.Json.Nodes;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Payloads;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace FeedbackMetrics.Tests.Core;

public sealed class JoinDecodingTests
{
    private static readonly MetricKey Key = new("ns", "dep", "pred", "model");

    /// <summary>Full feedback bodies: the real senders' feedback events that are counted, and shapes they do not cover.</summary>
    public static IEnumerable<TestCaseData> FullFeedback()
    {
        foreach (var name in RealSenderFixture.Names().Where(n => n.Contains("/feedback-", StringComparison.Ordinal)))
        {
            var fixture = RealSenderFixture.Load(name);
            if (fixture.Status != 200)
            {
                continue;
            }

            using var document = JsonDocument.Parse(fixture.Body);
            if (FeedbackPayload.HasResponse(document.RootElement))
            {
                yield return new TestCaseData(DecoderKind.MulticlassOneHot, fixture.Body).SetArgDisplayNames(name);
            }
        }

        yield return new TestCaseData(DecoderKind.MultiClassNumeric, """{"truth": {"data": {"ndarray": ["cat", "dog"]}}, "response": {"data": {"ndarray": ["cat", "cat"]}}, "reward": 0.5}""")
            .SetArgDisplayNames("string labels, reward");
        yield return new TestCaseData(DecoderKind.MultiClassNumeric, """{"truth": {"instances": [1, 2]}, "response": {"outputs": [{"name": "p", "shape": [2, 3], "datatype": "FP64", "data": [0.2, 0.5, 0.3, 0.1, 0.1, 0.8]}]}}""")
            .SetArgDisplayNames("KServe v1 truth, Open Inference Protocol scores");
        yield return new TestCaseData(DecoderKind.BinaryMetrics, """{"truth": {"data": {"ndarray": [[1], [0], [1]]}}, "response": {"data": {"ndarray": [[0.7], [0.2], [0.4]]}}}""")
            .SetArgDisplayNames("binary probabilities");
        yield return new TestCaseData(DecoderKind.MulticlassOneHot, """{"truth": {"data": {"ndarray": [0, 0, 1, 0]}}, "response": {"data": {"ndarray": [0.1, 0.2, 0.3, 0.4]}}}""")
            .SetArgDisplayNames("Seldon 1-D one-hot");
    }

    [TestCaseSource(nameof(FullFeedback))]
    public void A_joined_response_and_truth_count_exactly_as_one_feedback_event_with_both(DecoderKind kind, string full)
    {
        var decoder = new ClassDecoder(kind, 1000, 0.5);
        using var document = JsonDocument.Parse(full);
        var expected = decoder.Decode(FeedbackPayload.Read(document.RootElement));
        var (responseBody, truthBody) = Split(full);

        foreach (var truthFirst in new[] { false, true })
        {
            var join = new EngineJoin(JoinLimits.Default, new FakeTimeProvider(DateTimeOffset.UtcNow));
            var response = DecodeResponse(decoder, responseBody);
            var truth = ReadTruth(decoder, truthBody);
            var result = truthFirst
                ? Then(join.Truth(Key, "r1", truth.Truth, truth.Reward), () => join.Response(Key, "r1", response))
                : Then(join.Response(Key, "r1", response), () => join.Truth(Key, "r1", truth.Truth, truth.Reward));

            Assert.That(result, Is.EqualTo(JoinAction.Joined));
            var reference = new MetricsBook(100, 100);
            reference.Apply(Key, expected);
            Assert.That(Shown(join.Models), Is.EqualTo(Shown(reference)), truthFirst ? "truth first" : "response first");
        }
    }

    /// <summary>A book's figures as the JSON view reads them: classes, matrix, count, rewards, probabilistic figures.</summary>
    private static string Shown(MetricsBook book) => string.Join('\n', book.ViewAll().Select(view =>
        System.Text.Json.JsonSerializer.Serialize(view.Figures().All) + " " + string.Join(",", view.Snapshot.Classes) + " " + view.Snapshot.RewardTotal + " " + view.Snapshot.RewardEvents));

    [TestCase("seldon-executor/response-tensor-sklearnserver", DecoderKind.MulticlassOneHot, new[] { 2 }, 3)]
    [TestCase("seldon-executor/response-tftensor-python-serialization-capture", DecoderKind.MulticlassOneHot, new[] { 1 }, 0)]
    [TestCase("seldon-executor/response-ndarray-payload-logging-capture", DecoderKind.BinaryMetrics, new[] { 0 }, 0)]
    [TestCase("kserve-agent/response-v1-predictions", DecoderKind.MulticlassOneHot, new[] { 1, 1 }, 0)]
    [TestCase("kserve-agent/response-docs-capture-2021", DecoderKind.MultiClassNumeric, new[] { 1, 1 }, 0)]
    [TestCase("kserve-agent/response-open-inference-protocol", DecoderKind.MulticlassOneHot, new[] { 1, 2 }, 0)]
    public void Real_response_events_decode_to_a_predicted_class_per_row(string fixture, DecoderKind kind, int[] predicted, int scoreWidth)
    {
        var response = DecodeResponse(new ClassDecoder(kind, 1000, 0.5), RealSenderFixture.Load(fixture).Body);
        Assert.Multiple(() =>
        {
            Assert.That(response.Rows.Select(r => r.Index), Is.EqualTo(predicted));
            Assert.That(response.Scores?.Width ?? 0, Is.EqualTo(scoreWidth));
        });
    }

    [Test]
    public void Seldon_sklearnserver_response_keeps_its_probabilities_for_the_estimate()
    {
        var response = DecodeResponse(new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5), RealSenderFixture.Load("seldon-executor/response-tensor-sklearnserver").Body);
        Assert.Multiple(() =>
        {
            Assert.That(response.Scores!.Values, Is.EqualTo(new[] { 0.0006985194531162841, 0.003668039039435755, 0.9956334415074478 }));
            Assert.That(response.Scores.IsDistribution(0), Is.True);
        });
    }

    [Test]
    public void A_response_the_decoder_cannot_read_is_refused_as_it_would_be_in_a_full_feedback()
    {
        // One probability per row is not a class index for the one-hot decoder (a binary model's answer).
        var body = RealSenderFixture.Load("seldon-executor/response-ndarray-payload-logging-capture").Body;
        var decoder = new ClassDecoder(DecoderKind.MulticlassOneHot, 1000, 0.5);
        var alone = Assert.Throws<InvalidFeedbackException>(() => DecodeResponse(decoder, body))!;
        using var full = JsonDocument.Parse("""{"truth": {"data": {"ndarray": [[1]]}}, "response": """ + body + "}");
        var together = Assert.Throws<InvalidFeedbackException>(() => decoder.Decode(FeedbackPayload.Read(full.RootElement)))!;
        Assert.That(alone.Message, Is.EqualTo(together.Message));
    }

    [Test]
    public void Truth_only_payload_refuses_a_body_with_a_response_and_one_without_truth()
    {
        using var withResponse = JsonDocument.Parse("""{"truth": [1], "response": [1]}""");
        using var withoutTruth = JsonDocument.Parse("""{"reward": 1}""");
        Assert.Multiple(() =>
        {
            Assert.Throws<InvalidFeedbackException>(() => TruthPayload.Read(withResponse.RootElement));
            Assert.That(Assert.Throws<InvalidFeedbackException>(() => TruthPayload.Read(withoutTruth.RootElement))!.Message, Does.Contain("truth"));
        });
    }

    private static JoinAction? Then(JoinAction? first, Func<JoinAction?> second)
    {
        Assert.That(first, Is.AnyOf(JoinAction.ResponsePending, JoinAction.TruthParked));
        return second();
    }

    internal static DecodedResponse DecodeResponse(ClassDecoder decoder, string body)
    {
        using var document = JsonDocument.Parse(body);
        return decoder.DecodeResponse(MessageReader.Read(document.RootElement, "response"));
    }

    private static (DecodedTruth Truth, double? Reward) ReadTruth(ClassDecoder decoder, string body)
    {
        using var document = JsonDocument.Parse(body);
        var payload = TruthPayload.Read(document.RootElement);
        return (decoder.DecodeTruth(payload.Truth), payload.Reward);
    }

    /// <summary>The response as its own event's body, and the feedback with the response taken out.</summary>
    private static (string Response, string TruthOnly) Split(string full)
    {
        var node = JsonNode.Parse(full)!.AsObject();
        var response = node["response"]!.ToJsonString();
        node.Remove("response");
        return (response, node.ToJsonString());
    }
}
