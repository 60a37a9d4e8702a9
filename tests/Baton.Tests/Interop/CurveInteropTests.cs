using System.Security.Cryptography;
using Baton.Internal;
using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Interop;

/// <summary>CURVE against libzmq 4.3 (pyzmq): Baton as client and as server, multipart, large messages, subscriptions and heartbeats inside boxes.</summary>
public class CurveInteropTests
{
    private const int Large = 2 << 20;

    private static string Z85(byte[] key) => Z85Codec.Encode(key);

    private static string Digest(byte value, int size)
    {
        var data = new byte[size];
        Array.Fill(data, value);
        return $"{size}:{Convert.ToHexStringLower(SHA256.HashData(data))}";
    }

    private static Dictionary<string, object> ServerOptions(byte[] secret, int heartbeatMs = 0)
    {
        var options = new Dictionary<string, object> { ["CURVE_SERVER"] = 1, ["CURVE_SECRETKEY"] = Z85(secret) };
        AddHeartbeat(options, heartbeatMs);
        return options;
    }

    private static Dictionary<string, object> ClientOptions((byte[] Public, byte[] Secret) client, byte[] serverPublic, int heartbeatMs = 0)
    {
        var options = new Dictionary<string, object>
        {
            ["CURVE_SERVERKEY"] = Z85(serverPublic),
            ["CURVE_PUBLICKEY"] = Z85(client.Public),
            ["CURVE_SECRETKEY"] = Z85(client.Secret),
        };
        AddHeartbeat(options, heartbeatMs);
        return options;
    }

    private static void AddHeartbeat(Dictionary<string, object> options, int heartbeatMs)
    {
        if (heartbeatMs > 0)
        {
            options["HEARTBEAT_IVL"] = heartbeatMs;
            options["HEARTBEAT_TIMEOUT"] = heartbeatMs * 40;
        }
    }

    [Fact]
    public async Task BatonClient_PyzmqServer_MultipartAndLarge()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var peer = await PyzmqPeer.StartAsync("DEALER", ServerOptions(server.Secret));
        var endpoint = await peer.BindAsync("tcp://127.0.0.1:0");
        await using var dealer = new DealerSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(Z85(client.Secret), Z85(server.Public)), MaxMessageSize = 4 << 20 }, context);
        dealer.Connect(endpoint);

        await dealer.SendOrFail(new Message("hello", "", "world"));
        Assert.Equal(["hello", "", "world"], await peer.ReceiveAsync());
        var big = new byte[Large];
        Array.Fill(big, (byte)0x42);
        var message = new Message();
        message.Append("big"u8.ToArray());
        message.Append(big);
        await dealer.SendOrFail(message);
        Assert.Equal(["big", Digest(0x42, Large)], await peer.ReceiveAsync());

        await peer.SendAsync("a"u8.ToArray(), "b"u8.ToArray(), "c"u8.ToArray());
        Assert.Equal(["a", "b", "c"], (await dealer.ReceiveOrFail()).ToStrings());
        await peer.SendRepeatedAsync(0x17, Large);
        using var received = await dealer.ReceiveOrFail();
        Assert.Equal(Large, received[0].Length);
        Assert.True(received[0].Span.IndexOfAnyExcept((byte)0x17) < 0);
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task PyzmqClient_BatonServer_MultipartAndLarge()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var router = new RouterSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(server.Secret), MaxMessageSize = 4 << 20 }, context);
        var endpoint = router.Bind("tcp://127.0.0.1:0");
        await using var peer = await PyzmqPeer.StartAsync("DEALER", ClientOptions(client, server.Public));
        await peer.ConnectAsync(endpoint);

        await peer.SendAsync("x"u8.ToArray(), [], "y"u8.ToArray());
        using var first = await router.ReceiveOrFail();
        Assert.Equal(3 + 1, first.Count);
        Assert.Equal(["x", "", "y"], first.ToStrings().Skip(1));
        var identity = first[0].ToArray();

        await peer.SendRepeatedAsync(0x33, Large);
        using (var large = await router.ReceiveOrFail())
        {
            Assert.Equal(Large, large[1].Length);
            Assert.True(large[1].Span.IndexOfAnyExcept((byte)0x33) < 0);
        }

        var reply = new Message();
        reply.Append(identity);
        reply.Append("r1"u8.ToArray());
        reply.Append("r2"u8.ToArray());
        await router.SendOrFail(reply);
        Assert.Equal(["r1", "r2"], await peer.ReceiveAsync());

        var bigReply = new Message();
        bigReply.Append(identity);
        var big = new byte[Large];
        Array.Fill(big, (byte)0x44);
        bigReply.Append(big);
        await router.SendOrFail(bigReply);
        Assert.Equal([Digest(0x44, Large)], await peer.ReceiveAsync());
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task BatonPublisher_PyzmqSubscriber_SubscriptionsInsideBoxes()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        using var context = new Context();
        await using var pub = new PubSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(server.Secret) }, context);
        var endpoint = pub.Bind("tcp://127.0.0.1:0");
        await using var peer = await PyzmqPeer.StartAsync("SUB", ClientOptions(client, server.Public));
        await peer.SubscribeAsync("yes"u8.ToArray());
        await peer.ConnectAsync(endpoint);

        // libzmq boxes its SUBSCRIBE as a command: once it has arrived, "yes" comes and "no" does not.
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        string[]? got;
        do
        {
            await pub.SendOrFail(new Message("yes", "1"));
            cancel.Token.ThrowIfCancellationRequested();
        }
        while ((got = await peer.TryReceiveAsync(50)) is null);

        Assert.Equal(["yes", "1"], got);
        await pub.SendOrFail(new Message("no", "2"));
        await pub.SendOrFail(new Message("yes", "3"));
        string[] next;
        do
        {
            next = await peer.ReceiveAsync();
        }
        while (next[1] == "1");

        Assert.Equal(["yes", "3"], next);
    }

    [Fact]
    public async Task PyzmqPublisher_BatonSubscriber_SubscriptionsInsideBoxes()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        using var context = new Context();
        await using var peer = await PyzmqPeer.StartAsync("PUB", ServerOptions(server.Secret));
        var endpoint = await peer.BindAsync("tcp://127.0.0.1:0");
        await using var sub = new SubSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(client.Secret, server.Public) }, context);
        sub.Subscribe("yes");
        sub.Connect(endpoint);

        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        Message first;
        do
        {
            await peer.SendAsync("yes"u8.ToArray(), "1"u8.ToArray());
            cancel.Token.ThrowIfCancellationRequested();
        }
        while (!sub.TryReceive(out first, TimeSpan.FromMilliseconds(50)));

        Assert.Equal(["yes", "1"], first.ToStrings());
        await peer.SendAsync("no"u8.ToArray(), "2"u8.ToArray());
        await peer.SendAsync("yes"u8.ToArray(), "3"u8.ToArray());
        using var next = await TestUtil.ReceiveSkipping(sub, "1");

        Assert.Equal(["yes", "3"], next.ToStrings());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PyzmqHeartbeats_TravelInsideBoxes_AndKeepTheConnection(bool batonServer)
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var heartbeat = TestUtil.Quick with { HeartbeatInterval = TimeSpan.FromMilliseconds(30), HeartbeatTimeout = TimeSpan.FromMilliseconds(1200) };
        PyzmqPeer peer;
        DealerSocket dealer;
        if (batonServer)
        {
            dealer = new DealerSocket(heartbeat with { Security = SocketSecurity.CurveServer(server.Secret) }, context);
            var endpoint = dealer.Bind("tcp://127.0.0.1:0");
            peer = await PyzmqPeer.StartAsync("DEALER", ClientOptions(client, server.Public, heartbeatMs: 30));
            await peer.ConnectAsync(endpoint);
        }
        else
        {
            peer = await PyzmqPeer.StartAsync("DEALER", ServerOptions(server.Secret, heartbeatMs: 30));
            var endpoint = await peer.BindAsync("tcp://127.0.0.1:0");
            dealer = new DealerSocket(heartbeat with { Security = SocketSecurity.CurveClient(client.Secret, server.Public) }, context);
            dealer.Connect(endpoint);
        }

        await using (peer)
        await using (dealer)
        {
            await peer.SendAsync("1"u8.ToArray());
            Assert.Equal("1", (await dealer.ReceiveOrFail())[0].ToString());

            // Not a synchronisation: a hundred heartbeat intervals, and two of each side's timeouts, of boxed PINGs
            // and PONGs both ways. An unboxed one would drop the connection; so would one left unanswered.
            await Task.Delay(3000);
            await dealer.SendOrFail(new Message("2"));
            Assert.Equal(["2"], await peer.ReceiveAsync());
            var events = await peer.EventsAsync();
            Assert.True(events["DISCONNECTED"] == 0, "libzmq saw a disconnection; Baton's drops: " + string.Join("; ", logs.Drops));
            Assert.Equal(1, events["HANDSHAKE_SUCCEEDED"]);
            Assert.Equal(1, dealer.ConnectedPeerCount);
            Assert.Empty(logs.Drops);
        }
    }

    [Fact]
    public async Task PyzmqServer_WrongServerKey_DeliversNothing_AndTheDropHasAReason()
    {
        var server = CurveRawClient.NewKeyPair();
        var other = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var peer = await PyzmqPeer.StartAsync("PULL", ServerOptions(server.Secret));
        var endpoint = await peer.BindAsync("tcp://127.0.0.1:0");
        await using var push = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(client.Secret, other.Public) }, context);
        push.Connect(endpoint);
        _ = push.SendAsync(new Message("secret"));

        // libzmq drops a HELLO it cannot open without a word: Baton sees the peer hang up mid-handshake.
        var drop = await logs.WaitForAsync(e => e.EventId == 2);
        Assert.Contains("handshake", drop.Message, StringComparison.Ordinal);
        Assert.Null(await peer.TryReceiveAsync(200));
    }

    [Fact]
    public async Task BatonAuthenticator_AcceptsAKnownPyzmqClient_AndRefusesAnUnknownOne()
    {
        var server = CurveRawClient.NewKeyPair();
        var known = CurveRawClient.NewKeyPair();
        var unknown = CurveRawClient.NewKeyPair();
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigureCurve(ZapAuthenticator.AnyDomain, [known.Public]);
        await using var pull = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(server.Secret) }, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");

        await using var stranger = await PyzmqPeer.StartAsync("PUSH", ClientOptions(unknown, server.Public));
        await stranger.ConnectAsync(endpoint);
        _ = stranger.SendAsync("let me in"u8.ToArray());
        await logs.WaitForAsync(e => e.EventId == 2 && e.Message.Contains("refused by the ZAP handler: 400", StringComparison.Ordinal));

        await using var friend = await PyzmqPeer.StartAsync("PUSH", ClientOptions(known, server.Public));
        await friend.ConnectAsync(endpoint);
        await friend.SendAsync("hello"u8.ToArray());
        using var received = await pull.ReceiveOrFail();
        Assert.Equal("hello", received[0].ToString());
        Assert.Equal(Z85(known.Public), received.UserId);
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task PyzmqAuthenticator_AcceptsAKnownBatonClient_AndRefusesAnUnknownOne()
    {
        var server = CurveRawClient.NewKeyPair();
        var known = CurveRawClient.NewKeyPair();
        var unknown = CurveRawClient.NewKeyPair();
        var folder = Directory.CreateTempSubdirectory("baton-curve-keys-");
        try
        {
            // pyzmq reads the known client's public key from a zmq.auth key file Baton wrote.
            CurveKeyFiles.Write(folder.FullName, "known", CurveKeyPair.FromSecretKey(known.Secret));
            var logs = new LogCapture();
            await using var context = logs.NewContext();
            await using var peer = await PyzmqPeer.StartAsync("PULL", ServerOptions(server.Secret));
            await peer.StartCurveAuthenticatorAsync(folder.FullName);
            var endpoint = await peer.BindAsync("tcp://127.0.0.1:0");

            await using var stranger = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(unknown.Secret, server.Public) }, context);
            stranger.Connect(endpoint);
            _ = stranger.SendAsync(new Message("let me in"));
            var refused = await logs.WaitForAsync(e => e.EventId == 2);
            Assert.Contains("the server refused the handshake: 400", refused.Message, StringComparison.Ordinal);

            await using var friend = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(known.Secret, server.Public) }, context);
            friend.Connect(endpoint);
            await friend.SendOrFail(new Message("hello"));
            Assert.Equal(["hello"], await peer.ReceiveAsync());
            Assert.Null(await peer.TryReceiveAsync(200));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
