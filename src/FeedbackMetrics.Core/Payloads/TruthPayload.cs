using System.Text.Json;

namespace FeedbackMetrics.Core.Payloads;

/// <summary>
/// A truth-only Feedback message, <c>{"truth": …, "reward": …}</c> with no <c>response</c>: the truth arrives after
/// the model answered and is joined to the logged response by request id (<see cref="Join.RequestIds"/>).
/// </summary>
public sealed record TruthPayload(Tensor Truth, double? Reward)
{
    public static TruthPayload Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"The feedback body must be a JSON object with truth; got a {body.ValueKind}.");
        }

        if (!body.TryGetProperty("truth", out var truth) || truth.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, "The feedback has no truth.");
        }

        if (FeedbackPayload.HasResponse(body))
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, "The feedback carries a response; read it as a full feedback, not a truth-only one.");
        }

        return new TruthPayload(MessageReader.Read(truth, "truth"), FeedbackPayload.ReadReward(body));
    }
}
