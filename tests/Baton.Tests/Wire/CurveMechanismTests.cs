using Baton.Internal;
using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Wire;
using Baton.Wire.Mechanisms;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>CURVE between Baton sockets: every socket shape, large messages, commands inside boxes, refusals.</summary>
public class CurveMechanismTests
{
    private static (SocketOptions Server, SocketOptions Client) CurvePair(SocketOptions? baseOptions = null)
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        var options = baseOptions ?? TestUtil.Quick;

        // Z85 on one side, bytes on the other: both forms of the public API.
        return (options with { Security = SocketSecurity.CurveServer(Z85Codec.Encode(server.Secret)) },
                options with { Security = SocketSecurity.CurveClient(client.Secret, server.Public) });
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task ReqRep_RoundTrips(string transport)
    {
        var (serverOptions, clientOptions) = CurvePair();
        using var context = new Context();
        await using var rep = new RepSocket(serverOptions, context);
        await using var req = new ReqSocket(clientOptions, context);
        req.Connect(rep.Bind(TestUtil.Endpoint(transport)));
        for (var i = 0; i < 20; i++)
        {
            await req.SendOrFail(new Message($"ping {i}"));
            using var request = await rep.ReceiveOrFail();
            Assert.Equal($"ping {i}", request[0].ToString());
            await rep.SendOrFail(new Message($"pong {i}"));
            using var reply = await req.ReceiveOrFail();
            Assert.Equal($"pong {i}", reply[0].ToString());
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task DealerRouter_Multipart_AndLargeMessages(string transport)
    {
        var (serverOptions, clientOptions) = CurvePair(TestUtil.Quick with { MaxMessageSize = 4 << 20 });
        using var context = new Context();
        await using var router = new RouterSocket(serverOptions, context);
        await using var dealer = new DealerSocket(clientOptions with { Identity = "d1"u8.ToArray() }, context);
        dealer.Connect(router.Bind(TestUtil.Endpoint(transport)));

        var k100 = new byte[100 * 1024];
        var m2 = new byte[2 << 20];
        new Random(11).NextBytes(k100);
        new Random(12).NextBytes(m2);

        // Many small multipart messages (several to a write), then the large ones, both ways.
        for (var i = 0; i < 500; i++)
        {
            await dealer.SendOrFail(new Message($"a{i}", "", $"c{i}"));
        }

        var big = new Message();
        big.Append(k100);
        big.Append(m2);
        await dealer.SendOrFail(big);
        for (var i = 0; i < 500; i++)
        {
            using var received = await router.ReceiveOrFail();
            Assert.Equal(["d1", $"a{i}", "", $"c{i}"], received.ToStrings());
        }

        using (var large = await router.ReceiveOrFail())
        {
            Assert.Equal(3, large.Count);
            Assert.True(large[1].Span.SequenceEqual(k100));
            Assert.True(large[2].Span.SequenceEqual(m2));
            var back = new Message();
            back.Append("d1"u8.ToArray());
            back.Append(m2);
            await router.SendOrFail(back);
        }

        using var echoed = await dealer.ReceiveOrFail();
        Assert.True(echoed[0].Span.SequenceEqual(m2));
    }

    [Fact]
    public async Task PubSub_SubscriptionsTravelInsideBoxes()
    {
        var (serverOptions, clientOptions) = CurvePair();
        using var context = new Context();
        await using var pub = new PubSocket(serverOptions, context);
        await using var sub = new SubSocket(clientOptions, context);
        sub.Connect(pub.Bind("tcp://127.0.0.1:0"));
        sub.Subscribe("yes");
        using var first = await TestUtil.SendUntilReceived(pub, sub, () => new Message("yes", "1"));
        Assert.Equal("yes", first[0].ToString());
        await pub.SendOrFail(new Message("no", "x"));
        await pub.SendOrFail(new Message("yes", "2"));
        using var next = await TestUtil.ReceiveSkipping(sub, "1");

        Assert.Equal(["yes", "2"], next.ToStrings());

        // A CANCEL travels boxed as well: once it has arrived, "yes" no longer comes.
        sub.Unsubscribe("yes");
        sub.Subscribe("also");
        using var also = await TestUtil.SendUntilReceived(pub, sub, () => new Message("also", "3"));
        await pub.SendOrFail(new Message("yes", "4"));
        await pub.SendOrFail(new Message("also", "5"));
        using var last = await TestUtil.ReceiveSkipping(sub, "3");

        Assert.Equal(["also", "5"], last.ToStrings());
    }

    [Fact]
    public async Task Heartbeats_PingAndPongInsideBoxes_KeepTheConnection()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (serverOptions, clientOptions) = CurvePair(TestUtil.Quick with { HeartbeatInterval = TimeSpan.FromMilliseconds(20), HeartbeatTimeout = TimeSpan.FromMilliseconds(1000) });
        await using var rep = new RepSocket(serverOptions, context);
        await using var req = new ReqSocket(clientOptions, context);
        req.Connect(rep.Bind("tcp://127.0.0.1:0"));
        await req.SendOrFail(new Message("1"));
        (await rep.ReceiveOrFail()).Dispose();

        // Not a synchronisation: a dozen heartbeat timeouts' worth of PINGs and PONGs, each boxed.
        // A PING or PONG that skipped the box would be refused; one that went unanswered would time out.
        await Task.Delay(2500);
        await rep.SendOrFail(new Message("2"));
        Assert.Equal("2", (await req.ReceiveOrFail())[0].ToString());
        Assert.Equal(1, req.ConnectedPeerCount);
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task WrongServerKey_DeliversNothing_AndTheDropIsLoggedWithAReason()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var server = CurveRawClient.NewKeyPair();
        var other = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        await using var pull = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(server.Secret) }, context);
        await using var push = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(client.Secret, other.Public) }, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        _ = push.SendAsync(new Message("secret"));
        var drop = await logs.WaitForAsync(e => e.EventId == 2 && e.Message.Contains("HELLO", StringComparison.Ordinal));
        Assert.Contains("signature box", drop.Message, StringComparison.Ordinal);
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(100)));

        // The server keeps serving: a client that knows its key gets through.
        await using var good = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(client.Secret, server.Public) }, context);
        good.Connect(pull.LastEndpoint!);
        await good.SendOrFail(new Message("ok"));
        Assert.Equal("ok", (await pull.ReceiveOrFail())[0].ToString());
    }

    [Fact]
    public async Task MechanismMismatch_IsRefused()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var server = CurveRawClient.NewKeyPair();
        await using var pull = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(server.Secret) }, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        _ = push.SendAsync(new Message("plain"));
        var drop = await logs.WaitForAsync(e => e.EventId == 2 && e.Message.Contains("mechanism mismatch", StringComparison.Ordinal));
        Assert.Contains("NULL", drop.Message, StringComparison.Ordinal);
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task MessageLimits_HoldOnTheDecodedFrames()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (serverOptions, clientOptions) = CurvePair();
        await using var pull = new PullSocket(serverOptions with { MaxMessageSize = 1000, MaxFramesPerMessage = 3 }, context);
        await using var push = new PushSocket(clientOptions, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));

        // Exactly at the limits: 1000 bytes over 3 frames (boxes add 33 bytes to each on the wire).
        var fits = new Message();
        fits.Append(new byte[400]);
        fits.Append(new byte[400]);
        fits.Append(new byte[200]);
        await push.SendOrFail(fits);
        using (var received = await pull.ReceiveOrFail())
        {
            Assert.Equal(3, received.Count);
        }

        // Four frames: refused on the decoded MORE flags, which the wire frames do not show.
        await push.SendOrFail(new Message("a", "b", "c", "d"));
        var drop = await logs.WaitForAsync(e => e.EventId == 2);
        Assert.Contains("frames", drop.Message, StringComparison.Ordinal);
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    /// <summary>A handshake between a client and a server mechanism, in memory; returns both ready.</summary>
    private static (CurveClientMechanism Client, Mechanism Server, byte[] ClientPublic) Handshake(ZapReply? zapReply = null)
    {
        var (clientMechanism, serverMechanism, client) = HandshakeToZap();
        var replies = new List<byte[]>();
        var clientMetadata = serverMechanism.OnZapReply(zapReply, replies);
        Assert.Equal("DEALER"u8.ToArray(), clientMetadata!["Socket-Type"]);
        Assert.Equal("me"u8.ToArray(), clientMetadata["Identity"]);
        var ready = Body(Assert.Single(replies));
        replies.Clear();
        var serverMetadata = clientMechanism.OnHandshakeCommand(ready, replies);
        Assert.Equal("ROUTER"u8.ToArray(), serverMetadata!["Socket-Type"]);
        Assert.Empty(replies);
        return (clientMechanism, serverMechanism, client.Public);
    }

    /// <summary>
    /// A handshake in memory up to the server's ZAP request (HELLO, WELCOME, INITIATE), checked on the way;
    /// returns the client mechanism, the server mechanism waiting for the ZAP reply, and the client's key pair.
    /// </summary>
    private static (CurveClientMechanism Client, Mechanism Server, (byte[] Public, byte[] Secret) ClientKeys) HandshakeToZap()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = CurveRawClient.NewKeyPair();
        var clientMechanism = new CurveClientMechanism(client.Secret, server.Public);
        var serverMechanism = CurveServerMechanism.CreateFactory(server.Secret)();
        var replies = new List<byte[]>();
        Assert.Empty(serverMechanism.Start(Commands.ReadyMetadata("ROUTER", [])));
        var hello = Body(Assert.Single(clientMechanism.Start(Commands.ReadyMetadata("DEALER", "me"u8))));
        Assert.Null(serverMechanism.OnHandshakeCommand(hello, replies));
        var welcome = Body(Assert.Single(replies));
        replies.Clear();
        Assert.Null(clientMechanism.OnHandshakeCommand(welcome, replies));
        var initiate = Body(Assert.Single(replies));
        replies.Clear();
        Assert.Null(serverMechanism.OnHandshakeCommand(initiate, replies));
        Assert.Empty(replies);
        var zap = serverMechanism.TakeZapRequest();
        Assert.NotNull(zap);
        Assert.Equal("CURVE", zap.Mechanism);
        Assert.Equal(client.Public, Assert.Single(zap.Credentials));
        return (clientMechanism, serverMechanism, client);
    }

    private static byte[] Body(byte[] frame)
    {
        Assert.Equal(Zmtp.FlagCommand, frame[0] & ~Zmtp.FlagLong);
        return frame[((frame[0] & Zmtp.FlagLong) != 0 ? 9 : 2)..];
    }

    private static byte[] Encode(Mechanism mechanism, byte flags, byte[] body, out byte wireFlags)
    {
        var buffer = new byte[mechanism.MaxEncodedLength(body.Length)];
        var length = mechanism.Encode(flags, body, buffer);
        wireFlags = buffer[0];
        return buffer[(length - body.Length - CurveCodec.MessageOverhead)..length];
    }

    private static byte[] Decode(Mechanism mechanism, byte[] message, out byte flags)
    {
        flags = 0;
        var copy = message.ToArray();
        var length = mechanism.Decode(ref flags, copy, out var start);
        return copy.AsSpan(start, length).ToArray();
    }

    [Fact]
    public void Handshake_HasLibzmqLayouts_AndAsksZapForTheClientsLongTermKey()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = new CurveClientMechanism(CurveRawClient.NewKeyPair().Secret, server.Public);
        var hello = Body(Assert.Single(client.Start(Commands.ReadyMetadata("DEALER", []))));
        Assert.Equal(200, hello.Length);
        Assert.Equal("\u0005HELLO"u8.ToArray(), hello[..6]);
        Assert.Equal([1, 0], hello[6..8]);
        Assert.All(hello[8..80], b => Assert.Equal(0, b));
        Assert.Equal(1UL, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hello.AsSpan(112)));

        var replies = new List<byte[]>();
        var serverMechanism = CurveServerMechanism.CreateFactory(server.Secret)();
        serverMechanism.Start(Commands.ReadyMetadata("ROUTER", []));
        serverMechanism.OnHandshakeCommand(hello, replies);
        var welcome = Body(Assert.Single(replies));
        Assert.Equal(168, welcome.Length);
        replies.Clear();
        client.OnHandshakeCommand(welcome, replies);
        var initiate = Body(Assert.Single(replies));
        Assert.Equal(257 + Commands.ReadyMetadata("DEALER", []).Length, initiate.Length);
        Assert.Equal(2UL, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(initiate.AsSpan(105)));

        Handshake();
    }

    [Fact]
    public void Messages_AreBoxedBothWays_CommandsToo_AndTheWireFrameCarriesNoFlags()
    {
        var (client, server, _) = Handshake();
        var message = Encode(client, Zmtp.FlagMore, "hello"u8.ToArray(), out var wireFlags);
        Assert.Equal(0, wireFlags);
        Assert.Equal("\u0007MESSAGE"u8.ToArray(), message[..8]);
        Assert.Equal(3UL, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(message.AsSpan(8)));
        Assert.Equal("hello"u8.ToArray(), Decode(server, message, out var flags));
        Assert.Equal(Zmtp.FlagMore, flags);

        var ping = Commands.PingBody(TimeSpan.FromSeconds(1), "ctx"u8);
        var boxedPing = Encode(server, Zmtp.FlagCommand, ping, out _);
        Assert.Equal(2UL, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(boxedPing.AsSpan(8)));
        Assert.Equal(ping, Decode(client, boxedPing, out flags));
        Assert.Equal(Zmtp.FlagCommand, flags);

        var large = new byte[300_000];
        new Random(3).NextBytes(large);
        Assert.Equal(large, Decode(server, Encode(client, 0, large, out _), out _));
    }

    [Fact]
    public void ReplayedOrReorderedNonce_IsRefused()
    {
        var (client, server, _) = Handshake();
        var first = Encode(client, 0, "1"u8.ToArray(), out _);
        var second = Encode(client, 0, "2"u8.ToArray(), out _);
        Decode(server, first, out _);
        var replay = Assert.Throws<PeerException>(() => Decode(server, first, out _));
        Assert.Contains("nonce", replay.Message, StringComparison.Ordinal);

        Decode(server, second, out _);
        var third = Encode(client, 0, "3"u8.ToArray(), out _);
        var fourth = Encode(client, 0, "4"u8.ToArray(), out _);
        Decode(server, fourth, out _);
        Assert.Throws<PeerException>(() => Decode(server, third, out _));
    }

    [Fact]
    public void TamperedBox_UnboxedCommand_AndShortMessage_AreRefused()
    {
        var (client, server, _) = Handshake();
        var message = Encode(client, 0, "payload"u8.ToArray(), out _);
        message[^1] ^= 1;
        Assert.Contains("does not open", Assert.Throws<PeerException>(() => Decode(server, message, out _)).Message, StringComparison.Ordinal);

        var ping = Commands.PingBody(TimeSpan.Zero, []);
        Assert.Contains("only MESSAGE", Assert.Throws<PeerException>(() => Decode(server, ping, out _)).Message, StringComparison.Ordinal);
        Assert.Throws<PeerException>(() => Decode(client, "\u0007MESSAGE12345678"u8.ToArray(), out _));
    }

    [Fact]
    public void ZapAllows_ThenReady()
    {
        Handshake(new ZapReply("200", "OK", "alice", []));
    }

    [Theory]
    [InlineData("400", true)]
    [InlineData("500", true)]
    [InlineData("300", false)]
    public void ZapRefusal_SendsErrorWithTheStatusCode_ExceptForATemporaryFailure(string status, bool error)
    {
        var (_, serverMechanism, _) = HandshakeToZap();
        var replies = new List<byte[]>();
        Assert.Throws<PeerException>(() => serverMechanism.OnZapReply(new ZapReply(status, "no", "", []), replies));
        Assert.Equal(error ? 1 : 0, replies.Count);
    }

    [Fact]
    public void ZapRefusal_SendsErrorWithTheStatusCode_AndTheClientStops()
    {
        var (client, serverMechanism, _) = HandshakeToZap();
        var replies = new List<byte[]>();
        var refusal = Assert.Throws<PeerException>(() => serverMechanism.OnZapReply(new ZapReply("400", "Unknown key", "", []), replies));
        Assert.Contains("400 Unknown key", refusal.Message, StringComparison.Ordinal);
        var error = Body(Assert.Single(replies));
        Assert.Equal("\u0005ERROR\u0003400"u8.ToArray(), error);

        var stopped = Assert.Throws<PeerException>(() => client.OnHandshakeCommand(error, []));
        Assert.True(stopped.Fatal);
        Assert.Contains("400", stopped.Message, StringComparison.Ordinal);
        Assert.Empty(client.EncodeError("anything"));
    }

    [Fact]
    public void AnErrorBeforeWelcome_DropsTheConnection_ButDoesNotStopTheClient()
    {
        // Anyone at the server's address can send it: only after WELCOME (which takes the server's secret) is ERROR final.
        var client = new CurveClientMechanism(CurveRawClient.NewKeyPair().Secret, CurveRawClient.NewKeyPair().Public);
        client.Start(Commands.ReadyMetadata("DEALER", []));
        var error = Assert.Throws<PeerException>(() => client.OnHandshakeCommand("\u0005ERROR\u0003400"u8, []));
        Assert.False(error.Fatal);
        Assert.Contains("400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CookieOfAnotherServerSocket_IsRefused_AndClientErrorToServer_IsAProtocolError()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = new CurveClientMechanism(CurveRawClient.NewKeyPair().Secret, server.Public);
        var first = CurveServerMechanism.CreateFactory(server.Secret)();
        var second = CurveServerMechanism.CreateFactory(server.Secret)();
        var replies = new List<byte[]>();
        var hello = Body(client.Start([])[0]);
        first.OnHandshakeCommand(hello, replies);
        var welcome = Body(replies[0]);
        replies.Clear();
        client.OnHandshakeCommand(welcome, replies);
        var initiate = Body(replies[0]);

        // The second socket (same long-term key, its own cookie keys) saw the HELLO, not the WELCOME's cookie.
        second.OnHandshakeCommand(hello, []);
        Assert.Contains("cookie", Assert.Throws<PeerException>(() => second.OnHandshakeCommand(initiate, [])).Message, StringComparison.Ordinal);

        // Another connection of the same socket (same cookie key), after a HELLO of its own: the recorded
        // INITIATE's cookie would open there, but it is not the cookie that connection gave.
        var socket = CurveServerMechanism.CreateFactory(server.Secret);
        var recordedClient = new CurveClientMechanism(CurveRawClient.NewKeyPair().Secret, server.Public);
        var original = socket();
        var originalReplies = new List<byte[]>();
        original.OnHandshakeCommand(Body(recordedClient.Start([])[0]), originalReplies);
        var recordedReplies = new List<byte[]>();
        recordedClient.OnHandshakeCommand(Body(originalReplies[0]), recordedReplies);
        var recordedInitiate = Body(recordedReplies[0]);
        var replayTarget = socket();
        replayTarget.OnHandshakeCommand(Body(new CurveClientMechanism(CurveRawClient.NewKeyPair().Secret, server.Public).Start([])[0]), []);
        Assert.Throws<PeerException>(() => replayTarget.OnHandshakeCommand(recordedInitiate, []));
        Assert.Null(original.OnHandshakeCommand(recordedInitiate, []));

        var third = CurveServerMechanism.CreateFactory(server.Secret)();
        Assert.Throws<PeerException>(() => third.OnHandshakeCommand(Commands.ErrorBody("no"), []));
    }

    [Fact]
    public void HelloForAnotherServerKey_IsRefused_WithoutAnswer()
    {
        var server = CurveRawClient.NewKeyPair();
        var client = new CurveClientMechanism(CurveRawClient.NewKeyPair().Secret, CurveRawClient.NewKeyPair().Public);
        var mechanism = CurveServerMechanism.CreateFactory(server.Secret)();
        var replies = new List<byte[]>();
        var refusal = Assert.Throws<PeerException>(() => mechanism.OnHandshakeCommand(Body(client.Start([])[0]), replies));
        Assert.Contains("signature box", refusal.Message, StringComparison.Ordinal);
        Assert.Empty(replies);
    }
}
