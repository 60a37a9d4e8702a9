using System.Security.Cryptography;
using Baton.Messages;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Interop;

/// <summary>Large messages, subscriptions, heartbeats and restarts against libzmq (pyzmq child processes).</summary>
public class PyzmqBehaviourTests
{
    private const int TenMegabytes = 10 * 1024 * 1024;

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task TenMegabyteMessage_CrossesBothWays(string transport)
    {
        // Baton -> libzmq
        await using (var pull = await PyzmqPeer.StartAsync("PULL"))
        await using (var push = new PushSocket())
        {
            push.Connect(await pull.BindAsync(transport == "tcp" ? "tcp://127.0.0.1:*" : TestUtil.Endpoint("ipc")));
            var payload = new byte[TenMegabytes];
            Random.Shared.NextBytes(payload);
            await push.SendOrFail(new Message(new Frame(payload), Frame.FromString("tail")));
            var received = await pull.ReceiveAsync();
            Assert.Equal($"{TenMegabytes}:{Convert.ToHexStringLower(SHA256.HashData(payload))}", received[0]);
            Assert.Equal("tail", received[1]);
        }

        // libzmq -> Baton
        await using (var push = await PyzmqPeer.StartAsync("PUSH"))
        await using (var pull = new PullSocket())
        {
            await push.ConnectAsync(pull.Bind(transport == "tcp" ? "tcp://127.0.0.1:0" : TestUtil.Endpoint("ipc")));
            await push.SendRepeatedAsync(0x5A, TenMegabytes);
            using var message = await pull.ReceiveOrFail();
            Assert.Equal(TenMegabytes, message[0].Length);
            Assert.Equal(-1, message[0].Span.IndexOfAnyExcept((byte)0x5A));
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task SenderThatClosesAtOnce_DeliversEveryMessageToLibzmq(string transport)
    {
        const int Count = 100_000;
        await using var pull = await PyzmqPeer.StartAsync("PULL");
        var endpoint = await pull.BindAsync(transport == "tcp" ? "tcp://127.0.0.1:*" : TestUtil.Endpoint("ipc"));
        var counting = pull.CountAsync(Count);
        var push = new PushSocket(new SocketOptions { Linger = Timeout.InfiniteTimeSpan });
        push.Connect(endpoint);
        for (var i = 0; i < Count; i++)
        {
            await push.SendAsync(new Message(i.ToString()));
        }

        await push.DisposeAsync();
        var (received, last) = await counting;
        Assert.Equal(Count, received);
        Assert.Equal((Count - 1).ToString(), last);
    }

    [Fact]
    public async Task Unsubscribe_ReachesLibzmqXPub_AndBatonXPubSeesLibzmqUnsubscribe()
    {
        await using (var xpub = await PyzmqPeer.StartAsync("XPUB"))
        await using (var sub = new SubSocket())
        {
            sub.Connect(await xpub.BindAsync("tcp://127.0.0.1:*"));
            sub.Subscribe("news");
            Assert.Equal(["\u0001news"], await xpub.ReceiveAsync());
            sub.Unsubscribe("news");
            Assert.Equal(["\u0000news"], await xpub.ReceiveAsync());
        }

        await using (var xpub = new XPubSocket())
        await using (var sub = await PyzmqPeer.StartAsync("SUB"))
        {
            await sub.ConnectAsync(xpub.Bind("tcp://127.0.0.1:0"));
            await sub.SubscribeAsync("news"u8.ToArray());
            Assert.Equal("\u0001news", (await xpub.ReceiveOrFail())[0].ToString());
            await sub.UnsubscribeAsync("news"u8.ToArray());
            Assert.Null(await sub.TryReceiveAsync(1));
            Assert.Equal("\u0000news", (await xpub.ReceiveOrFail())[0].ToString());
        }
    }

    [Fact]
    public async Task Heartbeats_WithLibzmq_KeepAQuietConnectionUp_BothWays()
    {
        // libzmq pings Baton and drops it after 300 ms without an answer: Baton must PONG.
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var pull = new PullSocket(new SocketOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(300),
        }, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var push = await PyzmqPeer.StartAsync("PUSH", new Dictionary<string, object>
        {
            ["HEARTBEAT_IVL"] = 100,
            ["HEARTBEAT_TIMEOUT"] = 300,
            ["HEARTBEAT_TTL"] = 500,
        });
        await push.ConnectAsync(endpoint);
        await push.SendAsync("before"u8.ToArray());
        Assert.Equal("before", (await pull.ReceiveOrFail())[0].ToString());

        // A second of silence: ten heartbeat intervals, three timeouts over.
        Assert.False(pull.TryReceive(out _, TimeSpan.FromSeconds(1)));
        await push.SendAsync("after"u8.ToArray());
        Assert.Equal("after", (await pull.ReceiveOrFail())[0].ToString());
        var events = await push.EventsAsync();
        Assert.True(events["CONNECTED"] == 1, string.Join("\n", logs.Entries));
        Assert.Equal(0, events["DISCONNECTED"]);
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task Reconnects_AfterTheLibzmqPeerRestarts()
    {
        var endpoint = TestUtil.Endpoint("ipc");
        await using var push = new PushSocket(new SocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(20), Linger = TimeSpan.Zero });
        await using (var first = await PyzmqPeer.StartAsync("PULL"))
        {
            await first.BindAsync(endpoint);
            push.Connect(endpoint);
            await push.SendOrFail(new Message("to the first"));
            Assert.Equal(["to the first"], await first.ReceiveAsync());
            await first.KillAsync();
        }

        await using var second = await PyzmqPeer.StartAsync("PULL");
        await second.BindAsync(endpoint);
        await push.SendOrFail(new Message("to the second"));
        Assert.Equal(["to the second"], await second.ReceiveAsync());
    }

    [Fact]
    public async Task Identities_SetOnEitherSide_AreWhatTheRouterSees()
    {
        await using (var router = await PyzmqPeer.StartAsync("ROUTER"))
        await using (var dealer = new DealerSocket(new SocketOptions { Identity = "baton-dealer"u8.ToArray() }))
        {
            dealer.Connect(await router.BindAsync("tcp://127.0.0.1:*"));
            await dealer.SendOrFail(new Message("hi"));
            Assert.Equal(["baton-dealer", "hi"], await router.ReceiveAsync());
        }

        await using (var router = new RouterSocket())
        await using (var dealer = await PyzmqPeer.StartAsync("DEALER", new Dictionary<string, object> { ["IDENTITY"] = Convert.ToHexString("libzmq-dealer"u8) }))
        {
            await dealer.ConnectAsync(router.Bind("tcp://127.0.0.1:0"));
            await dealer.SendAsync("hi"u8.ToArray());
            Assert.Equal(["libzmq-dealer", "hi"], (await router.ReceiveOrFail()).ToStrings());
        }
    }
}
