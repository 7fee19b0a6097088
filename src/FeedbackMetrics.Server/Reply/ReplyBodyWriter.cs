using System.Buffers;
using System.Text.Json;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Metrics;

namespace FeedbackMetrics.Server.Reply;

/// <summary>
/// The body of a metric CloudEvent, written straight with <see cref="Utf8JsonWriter"/> (one per counted event, so the
/// hot path pays for a serializer's objects): <c>{"metrics": [{"key", "type": "COUNTER", "value", "tags": {"class"}}],
/// "rows", "summary": {"namespace", "deployment", "predictor", "model", "classCount", "count", "accuracy", "macro",
/// "micro", "weighted", "touched": [{"class", "precision", "recall", "f1", "support"}], "reward": {"total", "events",
/// "mean"}}}</c> — this event's counter updates in Seldon's shape and the key's bounded figures; <c>tags</c> (binary
/// models) and <c>reward</c> (none yet) are left out when there are none.
/// </summary>
internal static class ReplyBodyWriter
{
    public static byte[] Write(MetricReply reply)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("metrics");
            foreach (var update in SeldonCounters.ForRows(reply.Rows, reply.Binary))
            {
                w.WriteStartObject();
                w.WriteString("key", update.Key);
                w.WriteString("type", "COUNTER");
                w.WriteNumber("value", update.Value);
                if (update.Class is { } name)
                {
                    w.WriteStartObject("tags");
                    w.WriteString("class", name);
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("rows", reply.Rows.Length);
            Summary(w, reply.Figures);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Summary(Utf8JsonWriter w, ReplyFigures f)
    {
        w.WriteStartObject("summary");
        w.WriteString("namespace", f.Key.Namespace);
        w.WriteString("deployment", f.Key.Deployment);
        w.WriteString("predictor", f.Key.Predictor);
        w.WriteString("model", f.Key.Model);
        w.WriteNumber("classCount", f.ClassCount);
        w.WriteNumber("count", f.Count);
        w.WriteNumber("accuracy", f.Accuracy);
        Averaged(w, "macro", f.Macro);
        Averaged(w, "micro", f.Micro);
        Averaged(w, "weighted", f.Weighted);
        w.WriteStartArray("touched");
        foreach (var c in f.Touched)
        {
            w.WriteStartObject();
            w.WriteString("class", c.Class);
            w.WriteNumber("precision", c.Precision);
            w.WriteNumber("recall", c.Recall);
            w.WriteNumber("f1", c.F1);
            w.WriteNumber("support", c.Support);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (f.Reward is { } reward)
        {
            w.WriteStartObject("reward");
            w.WriteNumber("total", reward.Total);
            w.WriteNumber("events", reward.Events);
            w.WriteNumber("mean", reward.Mean);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Averaged(Utf8JsonWriter w, string name, AveragedFigures figures)
    {
        w.WriteStartObject(name);
        w.WriteNumber("precision", figures.Precision);
        w.WriteNumber("recall", figures.Recall);
        w.WriteNumber("f1", figures.F1);
        w.WriteEndObject();
    }
}
