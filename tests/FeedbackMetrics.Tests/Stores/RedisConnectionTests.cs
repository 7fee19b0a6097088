using FeedbackMetrics.Core.Decoding;
using FeedbackMetrics.Core.Engine;
using FeedbackMetrics.Core.Identity;
using FeedbackMetrics.Core.ReadModel;
using FeedbackMetrics.Core.State;
using FeedbackMetrics.Server.Options;
using FeedbackMetrics.Server.Storage.Redis;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Stores;

/// <summary>Reaching a Redis that asks for a password, or speaks TLS with a certificate of a private CA.</summary>
[Category("Redis")]
public sealed class RedisConnectionTests
{
    [Test]
    public async Task A_redis_that_requires_a_password_takes_events_with_it_and_refuses_without_it()
    {
        await using var redis = await RedisServer.StartAsync(password: "s3cret-pass");

        var (withPassword, book) = await OpenAsync(redis.Url, o => o.RedisPassword = "s3cret-pass");
        var (without, _) = await OpenAsync(redis.Url, _ => { });
        try
        {
            var result = await withPassword.ApplyAsync([Event("1")], default);
            Assert.That((result[0].Outcome, book.SnapshotAll().Single().Count), Is.EqualTo((ApplyOutcome.Applied, 1L)));
            Assert.That(without.Unavailable, Is.Not.Null);
            Assert.ThrowsAsync<StorageUnavailableException>(async () => await without.ApplyAsync([Event("2")], default));
        }
        finally
        {
            await withPassword.DisposeAsync();
            await without.DisposeAsync();
        }
    }

    [Test]
    public async Task A_rediss_url_speaks_tls_to_a_server_whose_certificate_chains_to_the_given_ca_and_to_no_other()
    {
        var tls = RedisTls.Create();
        await using var redis = await RedisServer.StartAsync(tls: tls);
        Assert.That(redis.Url, Does.StartWith("rediss://"));

        var (trusting, book) = await OpenAsync(redis.Url, o => o.RedisCaFile = tls.CaFile);
        var (untrusting, _) = await OpenAsync(redis.Url, _ => { });
        try
        {
            var result = await trusting.ApplyAsync([Event("1")], default);
            Assert.That((result[0].Outcome, book.SnapshotAll().Single().Count), Is.EqualTo((ApplyOutcome.Applied, 1L)));
            Assert.That(untrusting.Unavailable, Is.Not.Null, "a certificate of an unknown CA is not accepted");
        }
        finally
        {
            await trusting.DisposeAsync();
            await untrusting.DisposeAsync();
            Directory.Delete(Path.GetDirectoryName(tls.CaFile)!, recursive: true);
        }
    }

    private static async Task<(FeedbackMetrics.Server.Storage.EngineStore Store, MetricsBook Book)> OpenAsync(string url, Action<StateOptions> configure)
    {
        var book = new MetricsBook(10, 10);
        var (store, _) = RedisStores.Create(book, url, Guid.NewGuid().ToString("N"), outbox: false, configure: configure);
        await store.InitializeAsync(default);
        return (store, book);
    }

    private static CountedFeedback Event(string id) =>
        new(
            new CloudEventId("s", id, "t"),
            new MetricKey("ns", "d", "p", "m"),
            new DecodedFeedback([new Observation(ClassLabel.OfIndex(0), ClassLabel.OfIndex(1))], 0),
            ReplyContext.None);
}
