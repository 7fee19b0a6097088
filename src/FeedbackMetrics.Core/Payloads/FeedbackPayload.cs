using System.Text.Json;

namespace FeedbackMetrics.Core.Payloads;

/// <summary>The two sides of a feedback message, as read from <c>{"response": …, "truth": …}</c>.</summary>
public sealed record FeedbackPayload(Tensor Truth, Tensor Response)
{
    /// <summary>Reads a Seldon feedback body. Unknown fields (request, reward, metrics…) are ignored.</summary>
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

        if (!body.TryGetProperty("response", out var response) || response.ValueKind == JsonValueKind.Null)
        {
            throw new InvalidFeedbackException(RejectionKind.Malformed, "The feedback has no response: this server needs the model's response beside the truth.");
        }

        return new FeedbackPayload(MessageReader.Read(truth, "truth"), MessageReader.Read(response, "response"));
    }
}
