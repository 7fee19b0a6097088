using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>The store contract on the in-memory store: exactly-once within one process, nothing survives a restart.</summary>
public sealed class MemoryStoreContractTests : StoreContract
{
    protected override bool Durable => false;

    protected override IFeedbackStore Create(MetricsBook book, string state, bool outbox = false, JoinLedger? join = null) =>
        new MemoryFeedbackStore(book, new DedupeWindow(TimeSpan.FromHours(1), 100_000, TimeProvider.System), new OutboxQueue(outbox, 1000), join);
}
