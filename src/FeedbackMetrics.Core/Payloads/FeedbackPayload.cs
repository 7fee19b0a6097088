using System.Text.Json;

namespace FeedbackMetrics.Core.Payloads;

/// <summary>
/// Seldon's Feedback message as read from <c>{"request": …, "response": …, "reward": …, "truth": …}</c>:
/// the two sides this server decodes and the optional reward. <c>request</c> and <c>meta</c> are accepted and not read.
/// </summary>
public sealed record FeedbackPayload(Tensor Truth, Tensor Response, double? Reward)
{
    public static FeedbackPayload Read(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, $"The feedback body must be a JSON object with truth and response; got a {body.ValueKind}.");
        }

        if (!body.TryGetProperty("truth", out var truth) || truth.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, "The feedback has no truth.");
        }

        if (!HasResponse(body, out var response))
        {
            throw new InvalidFeedbackException(
                RejectionKind.Malformed,
                "The feedback has no response. A truth without its response is joined to the model's logged response by request id (TruthPayload, RequestIds); this reads a feedback carrying both.");
        }

        return new FeedbackPayload(MessageReader.Read(truth, "truth"), MessageReader.Read(response, "response"), ReadReward(body));
    }

    /// <summary>True when a Feedback message carries a response (a present, non-null <c>response</c>).</summary>
    public static bool HasResponse(JsonElement body) => HasResponse(body, out _);

    private static bool HasResponse(JsonElement body, out JsonElement response)
    {
        response = default;
        return body.ValueKind == JsonValueKind.Object
            && body.TryGetProperty("response", out response)
            && response.ValueKind != JsonValueKind.Null;
    }

    /// <summary>The optional <c>reward</c> of a Feedback message: a finite number, or absent.</summary>
    internal static double? ReadReward(JsonElement body)
    {
        if (!body.TryGetProperty("reward", out var reward) || reward.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return reward.ValueKind == JsonValueKind.Number && reward.TryGetDouble(out var value) && double.IsFinite(value)
            ? value
            : throw new InvalidFeedbackException(RejectionKind.Malformed, $"reward must be a finite number; got {reward.GetRawText()}.");
    }
}
