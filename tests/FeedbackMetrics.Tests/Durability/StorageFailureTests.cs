using System.Net;
using FeedbackMetrics.Tests.Support;

namespace FeedbackMetrics.Tests.Durability;

/// <summary>
/// Real storage faults on a tmpfs mounted for the test: a read-only state directory and a full one.
/// The server answers 503 with Retry-After, reports not ready, acknowledges nothing it did not store,
/// and recovers by itself once the storage is back.
/// </summary>
[Category("Storage")]
[NonParallelizable]
public sealed class StorageFailureTests
{
    private string _mount = null!;

    [SetUp]
    public void Mount()
    {
        Binaries.RequireRootAndMount();
        _mount = Path.Combine(Path.GetTempPath(), "fm-mount", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_mount);
    }

    [TearDown]
    public void Unmount()
    {
        Binaries.Run("umount", "-l", _mount);
        Directory.Delete(_mount, recursive: true);
    }

    [Test]
    public async Task Read_only_state_dir_answers_503_until_made_writable_then_recovers_without_restart()
    {
        MountTmpfs("ro,size=16m");
        await using var server = await RunningServer.StartAsync(stateDir: _mount, waitReady: false);

        using var refused = await server.PostBinaryAsync(Events.SeedBody, id: "1");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(refused.Headers.RetryAfter?.Delta, Is.Not.Null, "Knative honours Retry-After");
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("Read-only").IgnoreCase);
        Assert.That((await server.Client.GetAsync("/ready")).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));

        Assert.That(Binaries.Run("mount", "-o", "remount,rw", _mount).ExitCode, Is.Zero);
        await server.WaitReadyAsync();

        using var accepted = await server.PostBinaryAsync(Events.SeedBody, id: "1");
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(1));
    }

    [Test]
    public async Task Full_disk_answers_503_acknowledges_only_what_was_stored_and_recovers_when_space_returns()
    {
        MountTmpfs("size=4m");
        var filler = Path.Combine(_mount, "filler");
        var acknowledged = new List<int>();
        var refused = new List<int>();
        await using (var server = await RunningServer.StartAsync(stateDir: _mount))
        {
            for (var i = 0; i < 20_000 && refused.Count == 0; i++)
            {
                if (i == 50)
                {
                    Fill(filler);
                }

                using var response = await server.PostBinaryAsync(Events.SeedBody, id: $"{i}-{new string('x', 200)}");
                if (response.IsSuccessStatusCode)
                {
                    acknowledged.Add(i);
                    continue;
                }

                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
                Assert.That(response.Headers.RetryAfter?.Delta, Is.Not.Null);
                refused.Add(i);
            }

            Assert.That(refused, Is.Not.Empty, "the disk never filled up; the test proved nothing");
            Assert.That((await server.Client.GetAsync("/ready")).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));

            File.Delete(filler);
            await server.WaitReadyAsync();
            Assert.That((await server.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(acknowledged.Count), "exactly the acknowledged events are counted");

            using var retried = await server.PostBinaryAsync(Events.SeedBody, id: $"{refused[0]}-{new string('x', 200)}");
            Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the refused event is counted when the broker retries");
        }

        // And what was acknowledged survives a restart.
        await using var restarted = await RunningServer.StartAsync(stateDir: _mount);
        Assert.That((await restarted.MetricsJsonAsync())["deployments"]![0]!["count"]!.GetValue<long>(), Is.EqualTo(acknowledged.Count + 1));
    }

    private void MountTmpfs(string options)
    {
        var (code, output) = Binaries.Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", _mount);
        if (code != 0)
        {
            Assert.Fail($"Cannot mount a tmpfs for the storage fault tests (needs root with CAP_SYS_ADMIN): {output}");
        }
    }

    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.Create);
        var chunk = new byte[16 * 1024];
        try
        {
            while (true)
            {
                stream.Write(chunk);
                stream.Flush();
            }
        }
        catch (IOException)
        {
            // No space left on device: exactly what this test wants.
        }
    }
}
