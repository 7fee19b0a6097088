using FeedbackMetrics.Server.Storage;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>The equivalence test on the engine with the memory log (decided and applied inline; nothing to restart).</summary>
public sealed class MemoryEngineEquivalenceTests : EngineEquivalence
{
    protected override bool Durable => false;

    protected override OpenedStore Open(string state) => EngineStoreOver(new MemoryStateLog());
}
