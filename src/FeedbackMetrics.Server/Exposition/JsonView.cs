using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Server.Json;

namespace FeedbackMetrics.Server.Exposition;

/// <summary>
/// The JSON view of <c>GET /v1/metrics?format=json</c>: <c>{"deployments": […], "alerts": […], "joins": […]}</c>, one
/// <see cref="DeploymentFigures"/> per model (with its deployment's <see cref="DeploymentJoinMembers"/>); <c>alerts</c>
/// the alerts firing now (absent when no rules file is configured); <c>joins</c> the late-truth join of every
/// deployment it has seen (absent when none), models with counted rows or not. Each model's object is serialised once
/// per view of the model (<see cref="KeyView"/>, kept until the model changes or a time window's bucket boundary
/// passes) and class names shown (the model's own and the configured ones, <see cref="ClassDisplay.Version"/>), and
/// kept beside the view; a read of unchanged models copies those bytes. The deployment's join figures, which move
/// without the model, are serialised on every read and appended to the model's object.
/// </summary>
public sealed class JsonView(MetricsBook book, ClassDisplay display, IJoinFigures join)
{
    private static readonly JsonEncodedText Deployments = JsonEncodedText.Encode("deployments");
    private static readonly JsonEncodedText Alerts = JsonEncodedText.Encode("alerts");
    private static readonly JsonEncodedText Joins = JsonEncodedText.Encode("joins");

    private readonly ConditionalWeakTable<KeyView, Fragment> _fragments = [];

    /// <summary>Writes the document: the models <paramref name="shown"/> keeps, the alerts and the deployments' join figures given.</summary>
    public async Task WriteAsync(PipeWriter body, Func<MetricKey, bool> shown, IReadOnlyList<AlertBody>? alerts, IReadOnlyList<DeploymentJoin>? joins, CancellationToken cancel)
    {
        // Over the response's pipe: the serialiser's own flushes only hand bytes to the pipe (no synchronous I/O).
        using var writer = new Utf8JsonWriter(body);
        writer.WriteStartObject();
        writer.WriteStartArray(Deployments);
        foreach (var view in book.ViewAll())
        {
            var key = view.Snapshot.Key;
            if (!shown(key))
            {
                continue;
            }

            var model = ModelBytes(view, book.ClassNames.Of(key));
            if (join.Figures(JoinScope.Of(key)) is { } figures)
            {
                writer.WriteRawValue(WithJoin(model, figures), skipInputValidation: true);
            }
            else
            {
                writer.WriteRawValue(model, skipInputValidation: true);
            }

            if (writer.BytesPending > 64 * 1024)
            {
                writer.Flush();
                await body.FlushAsync(cancel);
            }
        }

        writer.WriteEndArray();
        if (alerts is not null)
        {
            writer.WritePropertyName(Alerts);
            JsonSerializer.Serialize(writer, alerts, ServerJsonContext.Default.IReadOnlyListAlertBody);
        }

        if (joins is not null)
        {
            writer.WritePropertyName(Joins);
            JsonSerializer.Serialize(writer, joins, ServerJsonContext.Default.IReadOnlyListDeploymentJoin);
        }

        writer.WriteEndObject();
        writer.Flush();
        await body.FlushAsync(cancel);
    }

    /// <summary>A model's object without its deployment's join figures, as kept for this view and these class names (the model's and the configured ones).</summary>
    private byte[] ModelBytes(KeyView view, IReadOnlyList<string>? names)
    {
        // The configured names (--class_names, the alert rules file's, read again when it changes) have a version.
        var configured = display.Version;
        if (_fragments.TryGetValue(view, out var kept) && ReferenceEquals(kept.Names, names) && kept.Configured == configured)
        {
            return kept.Bytes;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(DeploymentFigures.Of(view, display, names), ServerJsonContext.Default.DeploymentFigures);
        _fragments.AddOrUpdate(view, new Fragment(names, configured, bytes));
        return bytes;
    }

    /// <summary>The model's object with the join's members after its own (where the serialiser writes them too).</summary>
    private static byte[] WithJoin(byte[] model, JoinFigures figures)
    {
        var extras = JsonSerializer.SerializeToUtf8Bytes(
            new DeploymentJoinMembers(JoinBody.Of(figures), LabelDelayBody.Of(figures), EstimatedBody.Of(figures)),
            ServerJsonContext.Default.DeploymentJoinMembers);
        if (extras.Length <= 2)
        {
            return model;
        }

        // {…model…} + {…extras…} → {…model…,…extras…}
        var joined = new byte[model.Length + extras.Length - 1];
        model.AsSpan(0, model.Length - 1).CopyTo(joined);
        joined[model.Length - 1] = (byte)',';
        extras.AsSpan(1).CopyTo(joined.AsSpan(model.Length));
        return joined;
    }

    private sealed record Fragment(IReadOnlyList<string>? Names, long Configured, byte[] Bytes);
}
