using FeedbackMetrics.Core;
using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;

namespace FeedbackMetrics.Server.Storage.Redis;

/// <summary>
/// The one capacity policy for keys (<c>--max_keys</c>) and classes (<c>--max_classes</c>): works out, before
/// anything is written, the classes every key will hold once a group of requests is applied. Each request is
/// admitted whole or refused whole (<see cref="InvalidFeedbackException"/> naming the event), so a batch is all
/// or nothing; a durable store writes new class names in exactly the order the read model will register them.
/// </summary>
internal sealed class CapacityPlan(MetricsBook book)
{
    private readonly Dictionary<MetricKey, ClassPlan> _plans = [];
    private int _newKeys;

    /// <summary>The keys touched by admitted requests, with the classes each will hold.</summary>
    public IReadOnlyDictionary<MetricKey, ClassPlan> Plans => _plans;

    /// <summary>Admits the events of one request, or throws and changes nothing.</summary>
    public void Admit(IReadOnlyList<FeedbackEvent> events)
    {
        Dictionary<MetricKey, ClassPlan>? trial = null;
        var newKeys = 0;
        foreach (var e in events)
        {
            trial ??= [];
            if (!trial.TryGetValue(e.Key, out var plan))
            {
                if (_plans.TryGetValue(e.Key, out var admitted))
                {
                    plan = admitted.Copy();
                }
                else if (book.TryGet(e.Key, out var aggregate))
                {
                    plan = new ClassPlan(aggregate.ClassNames());
                }
                else
                {
                    var keys = book.KeyCount + _newKeys + newKeys;
                    if (keys >= book.MaxKeys)
                    {
                        throw Refused(e, events.Count, $"The server already keeps figures for {keys} models; at most {book.MaxKeys} are kept (--max_keys). Reset unused ones or raise the limit.");
                    }

                    newKeys++;
                    plan = new ClassPlan([]);
                }

                trial[e.Key] = plan;
            }

            try
            {
                plan.Add(e.Feedback, book.MaxClasses);
            }
            catch (InvalidFeedbackException x)
            {
                throw Refused(e, events.Count, x.Message);
            }
        }

        foreach (var (key, plan) in trial ?? [])
        {
            _plans[key] = plan;
        }

        _newKeys += newKeys;
    }

    private static InvalidFeedbackException Refused(FeedbackEvent e, int eventsInRequest, string reason) =>
        new(RejectionKind.LimitExceeded, eventsInRequest > 1 ? $"Event {e.Id}: {reason} The whole batch was refused; nothing was counted." : reason);
}
