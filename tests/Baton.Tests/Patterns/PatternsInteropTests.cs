using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Baton's proxy and load-balancing broker with pyzmq (libzmq) clients and workers written as the
/// guide writes them, and the faults they survive: workers killed and restarted.
/// </summary>
public class PatternsInteropTests
{
    [Fact]
    public async Task Proxy_RrBroker_PyzmqClientsAndRepWorkers()
    {
        await using var frontend = new RouterSocket();
        await using var backend = new DealerSocket();
        var frontendEndpoint = frontend.Bind(TestUtil.Endpoint("tcp"));
        var backendEndpoint = backend.Bind(TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = new Proxy(frontend, backend).RunAsync(cancel.Token);

        await using var worker1 = PatternPeer.Start("rep", "connect", backendEndpoint, "w1");
        await using var worker2 = PatternPeer.Start("rep", "connect", backendEndpoint, "w2");
        await worker1.WaitForAsync("ready");
        await worker2.WaitForAsync("ready");
        await using var client1 = PatternPeer.Start("client", frontendEndpoint, "20", "c1");
        await using var client2 = PatternPeer.Start("client", frontendEndpoint, "20", "c2");
        await AssertRepliesAsync(client1, "c1", 20, ["w1", "w2"]);
        await AssertRepliesAsync(client2, "c2", 20, ["w1", "w2"]);

        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task Proxy_Wuproxy_PyzmqPublisherAndSubscriber()
    {
        await using var frontend = new XSubSocket();
        await using var backend = new XPubSocket();
        var publisherSide = frontend.Bind(TestUtil.Endpoint("tcp"));
        var subscriberSide = backend.Bind(TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = new Proxy(frontend, backend).RunAsync(cancel.Token);

        await using var publisher = await Interop.PyzmqPeer.StartAsync("PUB");
        await publisher.ConnectAsync(publisherSide);
        await using var subscriber = await Interop.PyzmqPeer.StartAsync("SUB");
        await subscriber.ConnectAsync(subscriberSide);
        await subscriber.SubscribeAsync("10001 "u8.ToArray());

        // The subscription crosses the proxy upstream, then the publisher's matching updates come down.
        string[]? received = null;
        for (var i = 0; i < 200 && received is null; i++)
        {
            await publisher.SendAsync("10002 cold"u8.ToArray());
            await publisher.SendAsync("10001 warm"u8.ToArray());
            received = await subscriber.TryReceiveAsync(50);
        }

        Assert.NotNull(received);
        Assert.Equal(["10001 warm"], received);
        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task LoadBalancingBroker_PyzmqClientsAndWorkers_BothReadyForms()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);

        await using var worker1 = PatternPeer.Start("lbworker", broker.BackendEndpoint, "w1", "READY");
        await using var worker2 = PatternPeer.Start("lbworker", broker.BackendEndpoint, "w2", "\\x01");
        await LoadBalancingBrokerTests.WaitUntilAsync(() => broker.ReadyWorkerCount == 2);
        var clients = new List<PatternPeer>();
        try
        {
            for (var c = 0; c < 3; c++)
            {
                clients.Add(PatternPeer.Start("client", broker.FrontendEndpoint, "15", $"c{c}"));
            }

            for (var c = 0; c < clients.Count; c++)
            {
                await AssertRepliesAsync(clients[c], $"c{c}", 15, ["w1", "w2"]);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task LoadBalancingBroker_PyzmqWorkersKilledAndRestarted_EveryRequestGetsOneReplyOrAClearError()
    {
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = broker.RunAsync(cancel.Token);
        await using var client = new LazyPirateClient(broker.FrontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(700), Attempts = 30 });

        var replies = 0;
        for (var generation = 0; generation < 3; generation++)
        {
            await using var worker = PatternPeer.Start("lbworker", broker.BackendEndpoint, $"g{generation}", "READY");
            await worker.WaitForAsync("ready");
            for (var i = 0; i < 5; i++)
            {
                using var reply = await client.RequestAsync(new Message($"g{generation}-r{i}"));
                Assert.Equal([$"g{generation}", $"g{generation}-r{i}"], reply.ToStrings());
                replies++;
            }

            // Killed while idle and ready: the broker holds a ready entry for a worker that is gone.
            await worker.KillAsync();
        }

        // No worker at all: a clear error, not a hang.
        await using var impatient = new LazyPirateClient(broker.FrontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(200), Attempts = 2 });
        await Assert.ThrowsAsync<ServerUnavailableException>(() => impatient.RequestAsync(new Message("nobody home")));
        Assert.Equal(15, replies);
        Assert.False(run.IsCompleted);

        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task Proxy_APyzmqWorkerKilledMidStream_LazyPirateClientsStillGetOneReplyEach()
    {
        await using var frontend = new RouterSocket();
        await using var backend = new DealerSocket();
        var frontendEndpoint = frontend.Bind(TestUtil.Endpoint("tcp"));
        var backendEndpoint = backend.Bind(TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var run = new Proxy(frontend, backend).RunAsync(cancel.Token);

        await using var survivor = PatternPeer.Start("rep", "connect", backendEndpoint, "survivor");
        await survivor.WaitForAsync("ready");
        await using var victim = PatternPeer.Start("rep", "connect", backendEndpoint, "victim");
        await victim.WaitForAsync("ready");
        await using var client = new LazyPirateClient(frontendEndpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(700), Attempts = 30 });
        for (var i = 0; i < 20; i++)
        {
            if (i == 5)
            {
                await victim.KillAsync();
            }

            using var reply = await client.RequestAsync(new Message($"r{i}"));
            Assert.Equal($"r{i}", reply[1].ToString());
        }

        await PatternRuns.StopAsync(cancel, run);
    }

    /// <summary>Reads a pyzmq client's replies: each is [worker, "TAG-i"] in order, from one of the workers.</summary>
    private static async Task AssertRepliesAsync(PatternPeer client, string tag, int count, string[] workers)
    {
        for (var i = 0; i < count; i++)
        {
            var words = (await client.WaitForAsync("reply ")).Split(' ');
            Assert.Equal(3, words.Length);
            Assert.Contains(words[1], workers);
            Assert.Equal($"{tag}-{i}", words[2]);
        }

        await client.WaitForAsync("done");
    }
}
