using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Join;
using FeedbackMetrics.Core.Metrics;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Storage;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>The store contract on the in-memory store: exactly-once within one process, nothing survives a restart.</summary>
public sealed class MemoryStoreContractTests : StoreContract
{
    protected override bool Durable => false;

    protected override (IFeedbackStore Store, IJoinFigures Join) Create(MetricsBook book, string state, bool outbox) =>
        EngineStoreOver(book, new MemoryStateLog(), outbox);
}
