using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class ReliabilityTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Sender_OfAMillionMessages_DeliversEveryOneOnClose(string transport)
    {
        const int Count = 1_000_000;
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        var receiving = Task.Run(async () =>
        {
            var received = 0;
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            while (received < Count)
            {
                using var message = await pull.ReceiveAsync(cancel.Token);
                Assert.Equal(received, BitConverter.ToInt32(message[0].Span));
                received++;
            }

            return received;
        });

        var push = new PushSocket(new SocketOptions { Linger = Timeout.InfiniteTimeSpan }, context);
        push.Connect(endpoint);
        for (var i = 0; i < Count; i++)
        {
            await push.SendAsync(new Message(new Frame(BitConverter.GetBytes(i))));
        }

        await push.DisposeAsync();
        Assert.Equal(Count, await receiving);
    }

    [Fact]
    public async Task Close_GivesUpAtTheLingerTime_WhenThePeerStopsReading()
    {
        using var context = new Context();
        var pull = new PullSocket(new SocketOptions { ReceiveHighWatermark = 1 }, context);
        var push = new PushSocket(new SocketOptions { Linger = TimeSpan.FromMilliseconds(300) }, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        var payload = new byte[64 * 1024];

        // Fill the pipe, both kernels' buffers and the HWM: the application never receives.
        while (push.TrySend(new Message(new Frame(payload)), TimeSpan.FromMilliseconds(200)))
        {
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await push.DisposeAsync().AsTask().WaitAsync(TestUtil.Timeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"close took {clock.Elapsed}");

        // The paused receiver must not wait for an end of stream it has stopped reading for.
        clock.Restart();
        await pull.DisposeAsync().AsTask().WaitAsync(TestUtil.Timeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"closing the receiver took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task ConnectDisconnectChurn_LeavesNoPipesBehind(string transport)
    {
        using var context = new Context();
        await using var router = new RouterSocket(context: context);
        var endpoint = router.Bind(TestUtil.Endpoint(transport));
        for (var i = 0; i < 200; i++)
        {
            await using var dealer = new DealerSocket(context: context);
            dealer.Connect(endpoint);
            await dealer.SendOrFail(new Message(i.ToString()));
            Assert.Equal(i.ToString(), (await router.ReceiveOrFail())[1].ToString());
        }

        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (router.Pipes.Length > 0)
        {
            await Task.Delay(10, cancel.Token);
        }
    }

    [Fact]
    public async Task Messages_QueuedWhileThePeerIsAway_ArriveWhenItComes()
    {
        using var context = new Context();
        var port = TestUtil.FreeTcpPort();
        var endpoint = $"tcp://127.0.0.1:{port}";
        await using var push = new PushSocket(new SocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(20), Linger = TimeSpan.Zero }, context);
        push.Connect(endpoint);
        for (var i = 0; i < 5; i++)
        {
            await push.SendOrFail(new Message($"early {i}"));
        }

        await using var pull = new PullSocket(context: context);
        pull.Bind(endpoint);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"early {i}", (await pull.ReceiveOrFail())[0].ToString());
        }
    }

    [Fact]
    public async Task Push_WaitsAtHighWatermark_AndTrySendTimesOut()
    {
        using var context = new Context();
        await using var pull = new PullSocket(new SocketOptions { ReceiveHighWatermark = 5 }, context);
        await using var push = new PushSocket(new SocketOptions { SendHighWatermark = 5, Linger = TimeSpan.Zero }, context);
        push.Connect(pull.Bind("inproc://hwm"));
        var sent = 0;
        while (push.TrySend(new Message(sent.ToString()), TimeSpan.Zero))
        {
            sent++;
        }

        Assert.Equal(10, sent);
        Assert.False(push.TrySend(new Message("late"), TimeSpan.FromMilliseconds(50)));
        var blocked = push.SendAsync(new Message("waiting")).AsTask();
        Assert.False(blocked.IsCompleted);

        // As in libzmq, the writer is resumed at the low-water mark (half the capacity), not per message.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(i.ToString(), (await pull.ReceiveOrFail())[0].ToString());
        }

        await blocked.WaitAsync(TestUtil.Timeout);
    }

    [Fact]
    public async Task Push_WithNoPeer_WaitsAndHonoursCancellation()
    {
        using var context = new Context();
        await using var push = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.SendAsync(new Message("nobody"), cancel.Token));
    }

    [Fact]
    public async Task Immediate_DoesNotQueueForAbsentPeers()
    {
        using var context = new Context();
        await using var push = new PushSocket(new SocketOptions { Immediate = true, Linger = TimeSpan.Zero }, context);
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        Assert.False(push.TrySend(new Message("nowhere"), TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Heartbeats_KeepAQuietConnectionAlive()
    {
        using var context = new Context();
        var options = new SocketOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(200),
            ReconnectInterval = TimeSpan.FromMilliseconds(20),
        };
        await using var pull = new PullSocket(options, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var push = new PushSocket(options, context);
        push.Connect(endpoint);
        await push.SendOrFail(new Message("one"));
        Assert.Equal("one", (await pull.ReceiveOrFail())[0].ToString());

        // Several heartbeat intervals of silence: the connection must stay up and keep working.
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(500)));
        await push.SendOrFail(new Message("two"));
        Assert.Equal("two", (await pull.ReceiveOrFail())[0].ToString());
    }

    [Fact]
    public async Task Heartbeats_DropAPeerThatFallsSilent()
    {
        var (listener, endpoint) = Baton.Tests.Wire.RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var push = new PushSocket(new SocketOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(50),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(200),
            Linger = TimeSpan.Zero,
        }, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = push.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        push.Connect(endpoint);

        // The raw peer completes the handshake, then never answers a PING: a hung process, a dead link.
        using var peer = await Baton.Tests.Wire.RawPeer.AcceptAsync(listener);
        await peer.HandshakeAsync("PULL");
        var dropped = await events.NextEventAsync(e => e.Kind == SocketEventKind.PeerDropped);

        Assert.Contains("heartbeat timeout", dropped.Reason);
        Assert.True(await peer.WaitClosedAsync());
    }

    [Fact]
    public async Task Heartbeats_HonourThePeersTtl()
    {
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = pull.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        using var peer = await Baton.Tests.Wire.RawPeer.ConnectAsync(endpoint);
        await peer.HandshakeAsync("PUSH");

        // One PING announcing a 300 ms TTL, then silence: the PULL must give up on the peer.
        await peer.SendAsync(Baton.Tests.Wire.RawZmtp.Command("PING", [0, 3]));
        var dropped = await events.NextEventAsync(e => e.Kind == SocketEventKind.PeerDropped);

        Assert.Contains("TTL", dropped.Reason);
        Assert.True(await peer.WaitClosedAsync());
    }

    [Fact]
    public async Task Receive_IsCancellable_AndCloseWakesWaitingReceivers()
    {
        using var context = new Context();
        var pull = new PullSocket(context: context);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pull.ReceiveAsync(cancel.Token));
        var waiting = pull.ReceiveAsync().AsTask();
        await pull.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TestUtil.Timeout));
        Assert.Throws<ObjectDisposedException>(() => pull.Bind("inproc://closed"));
    }

    [Fact]
    public async Task OneSocket_BindsAndConnectsSeveralEndpoints_AndCanUnbindAndDisconnect()
    {
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        var tcp = pull.Bind("tcp://127.0.0.1:0");
        var ipc = pull.Bind(TestUtil.Endpoint("ipc"));
        pull.Bind("inproc://many");
        await using var a = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        await using var b = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        await using var c = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        a.Connect(tcp);
        b.Connect(ipc);
        c.Connect("inproc://many");
        await a.SendOrFail(new Message("a"));
        await b.SendOrFail(new Message("b"));
        await c.SendOrFail(new Message("c"));
        var got = new HashSet<string>();
        for (var i = 0; i < 3; i++)
        {
            got.Add((await pull.ReceiveOrFail())[0].ToString());
        }

        Assert.Equal(new HashSet<string> { "a", "b", "c" }, got);
        var path = ipc["ipc://".Length..];
        Assert.True(File.Exists(path));
        pull.Unbind(ipc);
        Assert.False(File.Exists(path));
        a.Disconnect(tcp);
        Assert.Throws<InvalidEndpointException>(() => a.Disconnect(tcp));
        Assert.Throws<InvalidEndpointException>(() => pull.Unbind(ipc));
    }

    [Fact]
    public async Task Ipc_FileIsRemovedOnClose()
    {
        using var context = new Context();
        var endpoint = TestUtil.Endpoint("ipc");
        var pull = new PullSocket(context: context);
        pull.Bind(endpoint);
        Assert.True(File.Exists(endpoint["ipc://".Length..]));
        await pull.DisposeAsync();
        Assert.False(File.Exists(endpoint["ipc://".Length..]));
    }

    [Fact]
    public async Task Tcp_AcceptsHostNamesIPv6AndWildcards()
    {
        using var context = new Context();
        await using var pull = new PullSocket(new SocketOptions { IPv6 = true }, context);
        var wildcard = pull.Bind("tcp://*:*");
        var port = int.Parse(wildcard[(wildcard.LastIndexOf(':') + 1)..]);
        Assert.NotEqual(0, port);
        await using var byName = new PushSocket(context: context);
        byName.Connect($"tcp://localhost:{port}");
        await byName.SendOrFail(new Message("by name"));
        Assert.Equal("by name", (await pull.ReceiveOrFail())[0].ToString());
        await using var v6 = new PushSocket(new SocketOptions { IPv6 = true }, context);
        v6.Connect($"tcp://[::1]:{port}");
        await v6.SendOrFail(new Message("over v6"));
        Assert.Equal("over v6", (await pull.ReceiveOrFail())[0].ToString());
    }

    [Fact]
    public async Task Conflate_KeepsOnlyTheLastMessage()
    {
        using var context = new Context();
        await using var pull = new PullSocket(new SocketOptions { Conflate = true }, context);
        await using var push = new PushSocket(context: context);
        push.Connect(pull.Bind("inproc://conflate"));
        for (var i = 0; i < 100; i++)
        {
            await push.SendOrFail(new Message(i.ToString()));
        }

        Assert.Equal("99", (await pull.ReceiveOrFail())[0].ToString());
        Assert.False(pull.TryReceive(out _, TimeSpan.Zero));
    }

    [Fact]
    public async Task HundredMegabyteFrame_CrossesTcpIntact()
    {
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        await using var push = new PushSocket(context: context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        var payload = new byte[100 * 1024 * 1024];
        new Random(42).NextBytes(payload);
        await push.SendOrFail(new Message(new Frame(payload), Frame.FromString("tail")));
        using var message = await pull.ReceiveOrFail(TimeSpan.FromSeconds(60));
        Assert.Equal(payload.Length, message[0].Length);
        Assert.True(message[0].Span.SequenceEqual(payload));
        Assert.Equal("tail", message[1].ToString());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task ManyThreads_SendAndReceiveOnOneSocketAtOnce(string transport)
    {
        const int Threads = 8;
        const int PerThread = 5_000;
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        await using var push = new PushSocket(context: context);
        push.Connect(pull.Bind(TestUtil.Endpoint(transport)));
        var senders = Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                push.Send(new Message(t.ToString(), i.ToString()));
            }
        })).ToArray();
        var seen = new int[Threads];
        var receivers = Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            var local = new List<(int, int)>();
            for (var i = 0; i < PerThread; i++)
            {
                Assert.True(pull.TryReceive(out var message, TestUtil.Timeout));
                local.Add((int.Parse(message[0].ToString()), int.Parse(message[1].ToString())));
            }

            return local;
        })).ToArray();
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(60));
        var all = (await Task.WhenAll(receivers).WaitAsync(TimeSpan.FromSeconds(60))).SelectMany(l => l).ToList();
        foreach (var (thread, _) in all)
        {
            seen[thread]++;
        }

        Assert.All(seen, count => Assert.Equal(PerThread, count));
        Assert.Equal(Threads * PerThread, all.Distinct().Count());
    }
}
