using System.ComponentModel.DataAnnotations;
using FeedbackMetrics.Core.Windows;

namespace FeedbackMetrics.Server.Options;

/// <summary>The windows every model keeps besides its cumulative figures (<c>--windows</c>).</summary>
public sealed class WindowOptions : IValidatableObject
{
    public const string Section = "FeedbackMetrics:Windows";

    public string List { get; set; } = WindowSpec.DefaultList;

    public IReadOnlyList<WindowSpec> Specs => WindowSpec.ParseList(List);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!WindowSpec.TryParseList(List, out _, out var error))
        {
            // Its first sentence says what is wrong; the start-up line adds what a window may be.
            var end = error!.IndexOf(". ", StringComparison.Ordinal);
            yield return new ValidationResult(end < 0 ? error.TrimEnd('.') : error[..end], [nameof(List)]);
        }
    }
}
