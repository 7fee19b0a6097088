using System.Text.Json;
using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Core;

public sealed class JoinRequestIdTests
{
    private static string? Header(RealSenderFixture fixture, string name) =>
        fixture.Headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string OfResponseFixture(string name)
    {
        var fixture = RealSenderFixture.Load(name);
        return RequestIds.OfResponse(Header(fixture, "Ce-Requestid"), Header(fixture, "Ce-Metadata"), Header(fixture, "Ce-Id")!);
    }

    private static string OfTruth(string? extension, string body)
    {
        using var document = JsonDocument.Parse(body);
        return RequestIds.OfTruth(extension, document.RootElement);
    }

    [TestCase("seldon-executor/response-ndarray-payload-logging-capture", "33fb419e-8d6b-44e0-a084-8bd4bd4dbf7b")]
    [TestCase("seldon-executor/response-tensor-sklearnserver", "hello")]
    [TestCase("seldon-executor/response-tftensor-python-serialization-capture", "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")]
    public void Seldon_executor_responses_are_joined_by_their_requestid_extension(string fixture, string expected)
    {
        Assert.That(OfResponseFixture(fixture), Is.EqualTo(expected));
    }

    [Test]
    public void KServe_response_with_an_allow_listed_header_is_joined_by_X_Request_Id_not_by_its_event_id()
    {
        var fixture = RealSenderFixture.Load("kserve-agent/response-v1-predictions");
        Assert.That(OfResponseFixture(fixture.Name), Is.EqualTo("e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64"));
        Assert.That(Header(fixture, "Ce-Id"), Is.Not.EqualTo("e2c3a9f0-7d41-4b6e-9f55-1a8c3d2b0e64"));
    }

    [TestCase("kserve-agent/response-open-inference-protocol", "kserve-agent/request-open-inference-protocol")]
    [TestCase("kserve-agent/response-docs-capture-2021", "kserve-agent/request-docs-capture-2021")]
    public void KServe_response_without_a_request_header_is_joined_by_the_id_its_request_event_shares(string response, string request)
    {
        var requestId = Header(RealSenderFixture.Load(request), "Ce-Id");
        Assert.That(OfResponseFixture(response), Is.EqualTo(requestId));
    }

    [TestCase("""{"X-Request-Id":["abc"]}""")]
    [TestCase("""{"x-request-id":["abc","def"]}""")]
    [TestCase("""{"Content-Type":["application/json"],"X-REQUEST-ID":"abc"}""")]
    public void The_metadata_header_name_is_matched_case_insensitively_and_its_first_value_taken(string metadata)
    {
        Assert.That(RequestIds.OfResponse(null, metadata, "event-id"), Is.EqualTo("abc"));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("{}")]
    [TestCase("""{"X-Request-Id":[]}""")]
    [TestCase("""{"X-Request-Id":[""]}""")]
    [TestCase("not json")]
    [TestCase("""["X-Request-Id"]""")]
    public void Metadata_that_names_no_request_id_leaves_the_event_id(string? metadata)
    {
        Assert.That(RequestIds.OfResponse(null, metadata, "event-id"), Is.EqualTo("event-id"));
    }

    [Test]
    public void The_requestid_extension_wins_over_metadata_and_an_empty_one_counts_as_absent()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RequestIds.OfResponse("ext", """{"X-Request-Id":["abc"]}""", "event-id"), Is.EqualTo("ext"));
            Assert.That(RequestIds.OfResponse("", """{"X-Request-Id":["abc"]}""", "event-id"), Is.EqualTo("abc"));
        });
    }

    [Test]
    public void Seldon_truth_only_feedback_is_joined_by_its_requestid_extension()
    {
        var fixture = RealSenderFixture.Load("seldon-executor/feedback-truth-only-elasticsearch-notebook");
        Assert.That(OfTruth(Header(fixture, "Ce-Requestid"), fixture.Body), Is.EqualTo("f8b21985-8687-4bb8-a94c-4fac362eb34c"));
    }

    [Test]
    public void Truth_without_the_extension_is_joined_by_meta_puid_of_the_body_before_that_of_its_truth()
    {
        Assert.Multiple(() =>
        {
            Assert.That(OfTruth(null, """{"meta": {"puid": "body"}, "truth": {"meta": {"puid": "truth"}, "data": {"ndarray": [1]}}}"""), Is.EqualTo("body"));
            Assert.That(OfTruth(null, """{"truth": {"meta": {"puid": "truth"}, "data": {"ndarray": [1]}}}"""), Is.EqualTo("truth"));
            Assert.That(OfTruth("", """{"meta": {"puid": ""}, "truth": {"meta": {"puid": "truth"}, "data": {"ndarray": [1]}}}"""), Is.EqualTo("truth"));
            Assert.That(OfTruth("ext", """{"meta": {"puid": "body"}, "truth": [1]}"""), Is.EqualTo("ext"));
        });
    }

    [TestCase("""{"truth": {"data": {"ndarray": [1]}}}""")]
    [TestCase("""{"meta": {"puid": 7}, "truth": {"meta": {"tags": {}}, "data": {"ndarray": [1]}}}""")]
    public void Truth_with_no_request_id_at_all_is_refused_with_a_reason(string body)
    {
        var refusal = Assert.Throws<InvalidFeedbackException>(() => OfTruth(null, body))!;
        Assert.That(refusal.Message, Does.Contain("requestid").And.Contain("meta.puid"));
    }

    [Test]
    public void A_request_id_longer_than_the_bound_is_refused_not_cut()
    {
        var id = new string('a', RequestIds.MaxLength + 1);
        Assert.Multiple(() =>
        {
            Assert.That(RequestIds.OfResponse(new string('a', RequestIds.MaxLength), null, "e"), Has.Length.EqualTo(RequestIds.MaxLength));
            Assert.Throws<InvalidFeedbackException>(() => RequestIds.OfResponse(id, null, "e"));
            Assert.Throws<InvalidFeedbackException>(() => OfTruth(id, """{"truth": [1]}"""));
        });
    }
}
