using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class RoutingTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task Router_PrefixesIdentity_AndRoutesRepliesByIt(string transport)
    {
        using var context = new Context();
        await using var router = new RouterSocket(context: context);
        var endpoint = router.Bind(TestUtil.Endpoint(transport));
        await using var alice = new DealerSocket(new SocketOptions { Identity = "alice"u8.ToArray() }, context);
        await using var bob = new DealerSocket(new SocketOptions { Identity = "bob"u8.ToArray() }, context);
        alice.Connect(endpoint);
        bob.Connect(endpoint);
        await alice.SendOrFail(new Message("from alice"));
        await bob.SendOrFail(new Message("from bob"));
        var received = new Dictionary<string, string>();
        for (var i = 0; i < 2; i++)
        {
            var message = await router.ReceiveOrFail();
            Assert.Equal(2, message.Count);
            received[message[0].ToString()] = message[1].ToString();
        }

        Assert.Equal("from alice", received["alice"]);
        Assert.Equal("from bob", received["bob"]);
        await router.SendOrFail(new Message("bob", "hi bob"));
        await router.SendOrFail(new Message("alice", "hi alice"));
        Assert.Equal(["hi alice"], (await alice.ReceiveOrFail()).ToStrings());
        Assert.Equal(["hi bob"], (await bob.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task Router_GeneratesIdentities_ForAnonymousPeers()
    {
        using var context = new Context();
        await using var router = new RouterSocket(context: context);
        var endpoint = router.Bind("tcp://127.0.0.1:0");
        await using var dealer = new DealerSocket(context: context);
        dealer.Connect(endpoint);
        await dealer.SendOrFail(new Message("hello"));
        var message = await router.ReceiveOrFail();
        Assert.Equal(5, message[0].Length);
        Assert.Equal(0, message[0].Span[0]);
        await router.SendOrFail(new Message(message[0], Frame.FromString("back")));
        Assert.Equal(["back"], (await dealer.ReceiveOrFail()).ToStrings());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Router_DuplicateIdentity_IsRefused_UnlessHandover(bool handover)
    {
        using var context = new Context();
        await using var router = new RouterSocket(new SocketOptions { RouterHandover = handover }, context);
        var endpoint = router.Bind("tcp://127.0.0.1:0");
        var named = new SocketOptions { Identity = "same"u8.ToArray(), Linger = TimeSpan.Zero };
        await using var first = new DealerSocket(named, context);
        first.Connect(endpoint);
        await first.SendOrFail(new Message("from first"));
        Assert.Equal(["same", "from first"], (await router.ReceiveOrFail()).ToStrings());

        await using var second = new DealerSocket(named, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = router.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        second.Connect(endpoint);
        var verdict = await events.NextEventAsync(e => e.Kind != SocketEventKind.Accepted);

        if (!handover)
        {
            Assert.Equal(SocketEventKind.PeerDropped, verdict.Kind);
            Assert.Contains("already in use", verdict.Reason);
            await router.SendOrFail(new Message("same", "still first"));
            Assert.Equal(["still first"], (await first.ReceiveOrFail()).ToStrings());
        }
        else
        {
            Assert.Equal(SocketEventKind.HandshakeSucceeded, verdict.Kind);
            await router.SendOrFail(new Message("same", "now second"));
            Assert.Equal(["now second"], (await second.ReceiveOrFail()).ToStrings());
        }
    }

    [Fact]
    public async Task Router_DropsUnknownIdentity_OrThrowsWhenMandatory()
    {
        using var context = new Context();
        await using var lenient = new RouterSocket(context: context);
        await lenient.SendOrFail(new Message("nobody", "lost"));
        await using var strict = new RouterSocket(new SocketOptions { RouterMandatory = true }, context);
        var error = await Assert.ThrowsAsync<UnroutableMessageException>(async () => await strict.SendAsync(new Message("nobody", "lost")));
        Assert.Equal("nobody"u8.ToArray(), error.Identity);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task Dealer_RoundRobinsOut_AndFairQueuesIn(string transport)
    {
        using var context = new Context();
        await using var dealer = new DealerSocket(context: context);
        await using var first = new DealerSocket(context: context);
        await using var second = new DealerSocket(context: context);
        dealer.Connect(first.Bind(TestUtil.Endpoint(transport)));
        dealer.Connect(second.Bind(TestUtil.Endpoint(transport)));

        // Wait until both peers are connected: each answers one probe.
        await first.SendOrFail(new Message("first up"));
        await second.SendOrFail(new Message("second up"));
        var ups = new HashSet<string> { (await dealer.ReceiveOrFail())[0].ToString(), (await dealer.ReceiveOrFail())[0].ToString() };
        Assert.Equal(new HashSet<string> { "first up", "second up" }, ups);

        for (var i = 0; i < 10; i++)
        {
            await dealer.SendOrFail(new Message(i.ToString()));
        }

        var a = new List<string>();
        var b = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            a.Add((await first.ReceiveOrFail())[0].ToString());
            b.Add((await second.ReceiveOrFail())[0].ToString());
        }

        Assert.Equal(10, a.Concat(b).Distinct().Count());
        Assert.False(first.TryReceive(out _, TimeSpan.FromMilliseconds(50)));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task ReqDealerRouterRep_EnvelopeTravelsThroughABroker(string transport)
    {
        using var context = new Context();
        await using var frontend = new RouterSocket(context: context);
        await using var backend = new DealerSocket(context: context);
        var front = frontend.Bind(TestUtil.Endpoint(transport));
        var back = backend.Bind(TestUtil.Endpoint(transport));
        await using var client = new ReqSocket(context: context);
        await using var worker = new RepSocket(context: context);
        client.Connect(front);
        worker.Connect(back);

        await client.SendOrFail(new Message("question"));
        var request = await frontend.ReceiveOrFail();
        Assert.Equal(3, request.Count);
        Assert.True(request[1].IsEmpty);
        await backend.SendOrFail(request);
        var atWorker = await worker.ReceiveOrFail();
        Assert.Equal(["question"], atWorker.ToStrings());
        await worker.SendOrFail(new Message("answer"));
        var reply = await backend.ReceiveOrFail();
        await frontend.SendOrFail(reply);
        Assert.Equal(["answer"], (await client.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task Req_EnforcesAlternation_AndRep_TooAsync()
    {
        using var context = new Context();
        await using var req = new ReqSocket(context: context);
        await using var rep = new RepSocket(context: context);
        Assert.Throws<InvalidOperationException>(() => req.TryReceive(out _, TimeSpan.Zero));
        Assert.Throws<InvalidOperationException>(() => rep.TrySend(new Message("x"), TimeSpan.Zero));
        req.Connect(rep.Bind("inproc://alternation"));
        await req.SendOrFail(new Message("one"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await req.SendAsync(new Message("two")));
    }

    [Fact]
    public async Task Req_Relaxed_RecoversWhenItsPeerVanished()
    {
        using var context = new Context();
        var options = new SocketOptions { RequestRelaxed = true, RequestCorrelate = true, Linger = TimeSpan.Zero };
        await using var req = new ReqSocket(options, context);
        var silent = new RepSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        req.Connect(silent.Bind("inproc://vanishing"));
        await req.SendOrFail(new Message("lost request"));
        Assert.Equal(["lost request"], (await silent.ReceiveOrFail()).ToStrings());
        await silent.DisposeAsync();

        await using var rep = new RepSocket(context: context);
        req.Connect(rep.Bind("inproc://second"));
        await req.SendOrFail(new Message("retry"));
        Assert.Equal(["retry"], (await rep.ReceiveOrFail()).ToStrings());
        await rep.SendOrFail(new Message("done"));
        Assert.Equal(["done"], (await req.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task Pair_IsExclusive()
    {
        using var context = new Context();
        await using var pair = new PairSocket(context: context);
        var endpoint = pair.Bind("tcp://127.0.0.1:0");
        await using var first = new PairSocket(context: context);
        first.Connect(endpoint);
        await first.SendOrFail(new Message("first"));
        Assert.Equal(["first"], (await pair.ReceiveOrFail()).ToStrings());
        await using var second = new PairSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        second.Connect(endpoint);
        await second.SendAsync(new Message("second"));
        await pair.SendOrFail(new Message("reply"));
        Assert.Equal(["reply"], (await first.ReceiveOrFail()).ToStrings());
        Assert.False(pair.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public void SendAndReceive_AreRefusedWhereTheTypeForbidsThem()
    {
        using var context = new Context();
        using var push = new PushSocket(context: context);
        using var pull = new PullSocket(context: context);
        using var sub = new SubSocket(context: context);
        using var pub = new PubSocket(context: context);
        Assert.Throws<NotSupportedException>(() => push.TryReceive(out _, TimeSpan.Zero));
        Assert.Throws<NotSupportedException>(() => pull.TrySend(new Message("x"), TimeSpan.Zero));
        Assert.Throws<NotSupportedException>(() => sub.TrySend(new Message("x"), TimeSpan.Zero));
        Assert.Throws<NotSupportedException>(() => pub.TryReceive(out _, TimeSpan.Zero));
        Assert.Equal(ZmqSocketType.Router, ZmqSocket.ParseType("router"));
        Assert.Throws<ArgumentException>(() => ZmqSocket.ParseType("STREAM"));
    }
}

public class FairQueueTests
{
    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    public async Task Pull_FairQueues_AQuietPeerIsNotStuckBehindAFloodingOne(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        await using var loud = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        await using var quiet = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        loud.Connect(endpoint);
        quiet.Connect(endpoint);
        await loud.SendOrFail(new Message("loud"));
        await quiet.SendOrFail(new Message("quiet"));
        var first = new HashSet<string> { (await pull.ReceiveOrFail())[0].ToString(), (await pull.ReceiveOrFail())[0].ToString() };
        Assert.Equal(new HashSet<string> { "loud", "quiet" }, first);

        for (var i = 0; i < 500; i++)
        {
            await loud.SendOrFail(new Message("loud"));
        }

        // The whole flood is queued at the PULL before the quiet peer speaks, so arrival order
        // alone would serve it last.
        await WaitUntil(() => QueuedAt(pull) == 500);
        await quiet.SendOrFail(new Message("quiet"));
        await WaitUntil(() => QueuedAt(pull) == 501);
        var position = 0;
        while (true)
        {
            position++;
            if ((await pull.ReceiveOrFail())[0].ToString() == "quiet")
            {
                break;
            }
        }

        // Arrival order would put it behind most of the 500; libzmq's fair queue serves it at once.
        Assert.True(position <= 2, $"the quiet peer's message came {position}th");
    }

    private static int QueuedAt(ZmqSocket socket) => socket.Pipes.Sum(pipe => pipe.Inbound.Count);

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (!condition())
        {
            await Task.Delay(1, cancel.Token);
        }
    }
}
