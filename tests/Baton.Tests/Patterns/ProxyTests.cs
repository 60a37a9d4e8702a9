using System.Runtime.InteropServices;
using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>The proxy: each socket pairing libzmq's zmq_proxy serves, capture, steering, back-pressure and stopping.</summary>
public class ProxyTests
{
    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    public async Task RouterDealer_CarriesRequestsToWorkersAndRepliesBack(string transport)
    {
        await using var frontend = new RouterSocket();
        await using var backend = new DealerSocket();
        var frontendEndpoint = frontend.Bind(TestUtil.Endpoint(transport));
        var backendEndpoint = backend.Bind(TestUtil.Endpoint(transport));
        using var cancel = new CancellationTokenSource();
        var run = new Proxy(frontend, backend).RunAsync(cancel.Token);

        await using var worker1 = new RepSocket();
        await using var worker2 = new RepSocket();
        worker1.Connect(backendEndpoint);
        worker2.Connect(backendEndpoint);
        var workers = Task.WhenAll(EchoAsync(worker1, "w1", cancel.Token), EchoAsync(worker2, "w2", cancel.Token));

        var clients = new List<ReqSocket>();
        try
        {
            for (var c = 0; c < 3; c++)
            {
                var client = new ReqSocket();
                client.Connect(frontendEndpoint);
                clients.Add(client);
            }

            for (var round = 0; round < 10; round++)
            {
                for (var c = 0; c < clients.Count; c++)
                {
                    await clients[c].SendOrFail(new Message($"c{c}-{round}"));
                    using var reply = await clients[c].ReceiveOrFail();
                    Assert.Equal($"c{c}-{round}", reply[1].ToString());
                    Assert.Contains(reply[0].ToString(), new[] { "w1", "w2" });
                }
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
        await workers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    [Fact]
    public async Task XSubXPub_ForwardsSubscriptionsUpAndDataDown()
    {
        await using var frontend = new XSubSocket();
        await using var backend = new XPubSocket();
        var publisherSide = frontend.Bind(TestUtil.Endpoint("inproc"));
        var subscriberSide = backend.Bind(TestUtil.Endpoint("inproc"));
        using var cancel = new CancellationTokenSource();
        var run = new Proxy(frontend, backend).RunAsync(cancel.Token);

        await using var publisher = new PubSocket();
        publisher.Connect(publisherSide);
        await using var subscriber = new SubSocket();
        subscriber.Connect(subscriberSide);
        subscriber.Subscribe("weather");

        using var received = await TestUtil.SendUntilReceived(publisher, subscriber, () => new Message("weather", "sunny"));
        Assert.Equal(["weather", "sunny"], received.ToStrings());

        // Only what was subscribed to crosses: the subscription went up through the proxy.
        await publisher.SendOrFail(new Message("sport", "0-0"));
        await publisher.SendOrFail(new Message("weather", "rain"));
        using var next = await subscriber.ReceiveOrFail();
        Assert.Equal(["weather", "rain"], next.ToStrings());

        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task PullPush_StreamsEveryMessageInOrder_ThroughAFullBackend()
    {
        // A backend HWM of 10 and a reader that starts late: the proxy waits, nothing is lost or reordered.
        await using var frontend = new PullSocket(new SocketOptions { ReceiveHighWatermark = 10 });
        await using var backend = new PushSocket(new SocketOptions { SendHighWatermark = 10 });
        var input = frontend.Bind(TestUtil.Endpoint("tcp"));
        var output = backend.Bind(TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var proxy = new Proxy(frontend, backend);
        var run = proxy.RunAsync(cancel.Token);

        await using var producer = new PushSocket(new SocketOptions { SendHighWatermark = 10 });
        producer.Connect(input);
        const int count = 2_000;
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await producer.SendAsync(new Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancel.Token);
            }
        });

        await using var consumer = new PullSocket(new SocketOptions { ReceiveHighWatermark = 10 });
        consumer.Connect(output);
        for (var i = 0; i < count; i++)
        {
            using var message = await consumer.ReceiveOrFail();
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), message.ToString());
        }

        await sending.WaitAsync(TestUtil.Timeout);
        Assert.Equal((ulong)count, proxy.Statistics.Frontend.MessagesIn);
        Assert.Equal((ulong)count, proxy.Statistics.Backend.MessagesOut);
        await PatternRuns.StopAsync(cancel, run);
    }

    [Fact]
    public async Task Capture_GetsACopyOfEveryMessage_BothWays()
    {
        await using var frontend = new RouterSocket();
        await using var backend = new DealerSocket();
        await using var capture = new PushSocket();
        await using var tap = new PullSocket();
        var frontendEndpoint = frontend.Bind(TestUtil.Endpoint("inproc"));
        var backendEndpoint = backend.Bind(TestUtil.Endpoint("inproc"));
        tap.Connect(capture.Bind(TestUtil.Endpoint("inproc")));
        using var cancel = new CancellationTokenSource();
        var run = new Proxy(frontend, backend, capture).RunAsync(cancel.Token);

        await using var worker = new RepSocket();
        worker.Connect(backendEndpoint);
        var echo = EchoAsync(worker, "reply", cancel.Token);
        await using var client = new ReqSocket();
        client.Connect(frontendEndpoint);
        await client.SendOrFail(new Message("question"));
        using var reply = await client.ReceiveOrFail();

        // Request: [client identity, "", "question"]; reply: [client identity, "", "reply", "question"].
        using var request = await tap.ReceiveOrFail();
        Assert.Equal(3, request.Count);
        Assert.Equal("question", request[2].ToString());
        using var captured = await tap.ReceiveOrFail();
        Assert.Equal(4, captured.Count);
        Assert.Equal("reply", captured[2].ToString());
        Assert.Equal(request[0], captured[0]);

        await PatternRuns.StopAsync(cancel, run);
        await echo.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
    }

    [Fact]
    public async Task Control_PauseHoldsMessages_ResumeReleasesThem_StatisticsCount_TerminateEnds()
    {
        await using var frontend = new PullSocket();
        await using var backend = new PushSocket();
        await using var control = new RepSocket();
        var input = frontend.Bind(TestUtil.Endpoint("inproc"));
        var output = backend.Bind(TestUtil.Endpoint("inproc"));
        var controlEndpoint = control.Bind(TestUtil.Endpoint("inproc"));
        var proxy = new Proxy(frontend, backend, control: control);
        var run = proxy.RunAsync();

        await using var producer = new PushSocket();
        producer.Connect(input);
        await using var consumer = new PullSocket();
        consumer.Connect(output);
        await using var steer = new ReqSocket();
        steer.Connect(controlEndpoint);

        await producer.SendOrFail(new Message("one"));
        using (var first = await consumer.ReceiveOrFail())
        {
            Assert.Equal("one", first.ToString());
        }

        Assert.Empty(await CommandAsync(steer, "PAUSE"));
        Assert.True(proxy.IsPaused);
        await producer.SendOrFail(new Message("two", "frames"));
        Assert.Null(await consumer.TryReceiveAsync(TimeSpan.FromMilliseconds(200)));

        Assert.Empty(await CommandAsync(steer, "RESUME"));
        using (var second = await consumer.ReceiveOrFail())
        {
            Assert.Equal(["two", "frames"], second.ToStrings());
        }

        // Unknown commands are ignored, and a REP still answers them so the next command can come.
        Assert.Empty(await CommandAsync(steer, "SHUTDOWN-PLEASE"));

        var statistics = await CommandAsync(steer, "STATISTICS");
        Assert.Equal(8, statistics.Length);
        Assert.All(statistics, frame => Assert.Equal(8, frame.Length));
        var values = Array.ConvertAll(statistics, frame => MemoryMarshal.Read<ulong>(frame));

        // One message of 3 bytes and one of 9 (two frames count once), in at the frontend and out at the backend.
        Assert.Equal<ulong>([2, 12, 0, 0, 0, 0, 2, 12], values);

        Assert.Empty(await CommandAsync(steer, "TERMINATE"));
        await run.WaitAsync(TestUtil.Timeout);
    }

    [Fact]
    public async Task Control_PairAnswersStatisticsOnly()
    {
        await using var frontend = new PullSocket();
        await using var backend = new PushSocket();
        await using var control = new PairSocket();
        frontend.Bind(TestUtil.Endpoint("inproc"));
        backend.Bind(TestUtil.Endpoint("inproc"));
        var controlEndpoint = control.Bind(TestUtil.Endpoint("inproc"));
        var run = new Proxy(frontend, backend, control: control).RunAsync();

        await using var steer = new PairSocket();
        steer.Connect(controlEndpoint);
        await steer.SendOrFail(new Message("PAUSE"));
        await steer.SendOrFail(new Message("STATISTICS"));
        using var statistics = await steer.ReceiveOrFail();
        Assert.Equal(8, statistics.Count);
        await steer.SendOrFail(new Message("TERMINATE"));
        await run.WaitAsync(TestUtil.Timeout);
        Assert.Null(await steer.TryReceiveAsync(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Statistics_AreInLibzmqOrder()
    {
        var message = Proxy.StatisticsMessage(new ProxyStatistics(new ProxySocketStatistics(1, 2, 3, 4), new ProxySocketStatistics(5, 6, 7, 8)));
        using (message)
        {
            for (var i = 0; i < 8; i++)
            {
                Assert.Equal((ulong)(i + 1), BitConverter.ToUInt64(message.GetSpan(i)));
            }
        }

        await Task.CompletedTask;
    }

    [Fact]
    public async Task Run_Twice_IsRefused_AndCancellationEndsIt()
    {
        await using var frontend = new PullSocket();
        await using var backend = new PushSocket();
        var proxy = new Proxy(frontend, backend);
        using var cancel = new CancellationTokenSource();
        var run = proxy.RunAsync(cancel.Token);
        Assert.Throws<InvalidOperationException>(() => { _ = proxy.RunAsync(); });
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public async Task ClosingASocket_EndsTheProxyWithTheError()
    {
        var frontend = new PullSocket();
        await using var backend = new PushSocket();
        var run = new Proxy(frontend, backend).RunAsync();
        await frontend.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => run.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public async Task SocketsThatCannotForward_AreRefused()
    {
        await using var push = new PushSocket();
        await using var pull = new PullSocket();
        await using var pub = new PubSocket();
        var error = Assert.Throws<ArgumentException>(() => new Proxy(pub, push));
        Assert.Contains("PUB frontend and a PUSH backend", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Proxy(pull, push, capture: pull));
        Assert.Throws<ArgumentException>(() => new Proxy(pull, push, control: pub));
    }

    private static async Task<byte[][]> CommandAsync(ReqSocket steer, string command)
    {
        await steer.SendOrFail(new Message(command));
        using var reply = await steer.ReceiveOrFail();
        if (reply.Count == 1 && reply.GetSpan(0).IsEmpty)
        {
            return [];
        }

        var frames = new byte[reply.Count][];
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i] = reply.GetSpan(i).ToArray();
        }

        return frames;
    }

    /// <summary>A REP that answers each request with [tag, request...].</summary>
    private static async Task EchoAsync(RepSocket worker, string tag, CancellationToken cancellationToken)
    {
        while (true)
        {
            var request = await worker.ReceiveAsync(cancellationToken);
            var reply = new Message(tag);
            foreach (var frame in request)
            {
                reply.Append(frame);
            }

            request.Dispose();
            await worker.SendAsync(reply, cancellationToken);
        }
    }
}
