using System.Buffers.Binary;
using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// Baton against hand-driven ZMTP 2.0 (RFC 15) and 1.0 (RFC 13) peers over tcp: the greeting's stages,
/// identities both ways, framing, subscriptions as messages and no heartbeats.
/// </summary>
public class LegacyPeerTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    /// <summary>Our signature as RFC 15 2.1 has it: 0xFF, identity length + 1 (8 bytes), 0x7F.</summary>
    private static byte[] Signature(int identityLength = 0)
    {
        var signature = new byte[10];
        signature[0] = 0xFF;
        BinaryPrimitives.WriteUInt64BigEndian(signature.AsSpan(1), (ulong)identityLength + 1);
        signature[9] = 0x7F;
        return signature;
    }

    /// <summary>A ZMTP 1.0 frame: length (counting the flags byte), flags, body.</summary>
    private static byte[] Frame10(bool more, byte[] body)
    {
        var length = body.Length + 1;
        byte[] header = length < 255 ? [(byte)length] : [0xFF, .. BigEndian(length)];
        return [.. header, more ? (byte)1 : (byte)0, .. body];
    }

    private static byte[] BigEndian(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static async Task<(bool More, byte[] Body)> ReadFrame10Async(RawPeer raw)
    {
        long length = (await raw.ReadExactlyAsync(1))[0];
        if (length == 0xFF)
        {
            length = BinaryPrimitives.ReadInt64BigEndian(await raw.ReadExactlyAsync(8));
        }

        var flags = (await raw.ReadExactlyAsync(1))[0];
        return ((flags & 1) != 0, length == 1 ? [] : await raw.ReadExactlyAsync((int)length - 1));
    }

    private static async Task AssertFrame10Async(RawPeer raw, bool more, string body)
    {
        var frame = await ReadFrame10Async(raw);
        Assert.Equal((more, body), (frame.More, Encoding.ASCII.GetString(frame.Body)));
    }

    private static async Task AssertSilentAsync(RawPeer raw, int milliseconds = 300)
        => await Assert.ThrowsAsync<TimeoutException>(() => raw.ReadExactlyAsync(1, TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public async Task Zmtp20Peer_GetsTheGreetingInStages_ThenMessagesCrossBothWays_WithoutHeartbeats()
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        var options = TestUtil.Quick with { Identity = Ascii("baton-id"), HeartbeatInterval = TimeSpan.FromMilliseconds(50) };
        await using var dealer = new DealerSocket(options, context);
        dealer.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);

        // Signature, then the major version once it saw ours, then nothing until it knows our revision.
        Assert.Equal(Signature(8), await raw.ReadExactlyAsync(10));
        await raw.SendAsync(Signature());
        Assert.Equal([3], await raw.ReadExactlyAsync(1));
        await AssertSilentAsync(raw);

        // Revision 1 (ZMTP 2.0): Baton answers with its socket type and its identity as a 2.0 frame, no more.
        await raw.SendAsync([0x01]);
        Assert.Equal([5, 0x00, 8, .. Ascii("baton-id")], await raw.ReadExactlyAsync(11));
        await raw.SendAsync([6], RawZmtp.Frame(0x00, []));

        await dealer.SendOrFail(new Message("", "hi"));
        Assert.Equal([0x01, 0, 0x00, 2, .. Ascii("hi")], await raw.ReadExactlyAsync(6));
        await raw.SendAsync(RawZmtp.Message("", "reply"));
        Assert.Equal(["", "reply"], (await dealer.ReceiveOrFail()).ToStrings());

        // No PING: ZMTP 2.0 has no commands.
        await AssertSilentAsync(raw);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task LegacyPeer_IsRefused_WhereANullSocketAsksZap_AsLibzmqDoes(byte revision)
    {
        // ZMTP 1.0 and 2.0 have no handshake to hold while ZAP answers: the deny list would not apply to them.
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = Baton.Security.ZapAuthenticator.Start(context);
        auth.Deny("127.0.0.1");
        await using var pull = new PullSocket(TestUtil.Quick with { ZapDomain = "d" }, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        byte[] message = revision == 1 ? RawZmtp.Message("sneaked") : Frame10(false, Ascii("sneaked"));
        // The socket may close before all of it is sent (a broken pipe here): that is the refusal.
        await raw.SendUnlessRefusedAsync(Signature(), [revision, 8], revision == 1 ? RawZmtp.Frame(0x00, []) : [], message);

        Assert.True(await raw.WaitClosedAsync(), "a legacy peer got past a socket that asks ZAP");
        await logs.WaitForDropAsync("ZAP");
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    [Theory]
    [InlineData("CURVE")]
    [InlineData("PLAIN")]
    [InlineData("NULL+ZAP")]
    public async Task UnversionedZmtp10Peer_IsRefused_ByASocketWithSecurity(string security)
    {
        // No signature at all: the peer's first bytes are its identity frame (length 1, flags 0), then a message.
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var options = security switch
        {
            "CURVE" => TestUtil.Quick with { Security = SocketSecurity.CurveServer(CurveRawClient.NewKeyPair().Secret) },
            "PLAIN" => TestUtil.Quick with { Security = SocketSecurity.PlainServer() },
            _ => TestUtil.Quick with { ZapDomain = "d" },
        };
        await using var pull = new PullSocket(options, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync([0x01, 0x00], Frame10(false, Ascii("sneaked")));

        Assert.True(await raw.WaitClosedAsync(), $"an unversioned ZMTP 1.0 peer got past a {security} socket");
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Zmtp20Dealer_IdentityFromItsGreeting_RoutesRepliesOnARouter()
    {
        using var context = new Context();
        await using var router = new RouterSocket(TestUtil.Quick with { RouterMandatory = true }, context);
        using var raw = await RawPeer.ConnectAsync(router.Bind("tcp://127.0.0.1:0"));

        // A whole 2.0 greeting at once, identity frame and a first message too.
        await raw.SendAsync(Signature(5), [0x01, 5], RawZmtp.Frame(0x00, Ascii("raw-2")), RawZmtp.Message("hello"));
        Assert.Equal([.. Signature(), 3, 6, 0x00, 0x00], await raw.ReadExactlyAsync(14));
        Assert.Equal(["raw-2", "hello"], (await router.ReceiveOrFail()).ToStrings());
        await router.SendOrFail(new Message("raw-2", "back", ""));
        Assert.Equal(RawZmtp.Message("back", ""), await raw.ReadExactlyAsync(RawZmtp.Message("back", "").Length));
    }

    [Fact]
    public async Task Zmtp10Peer_WithoutSignature_IsTalkedToInZmtp10Framing()
    {
        using var context = new Context();
        await using var router = new RouterSocket(TestUtil.Quick with { RouterMandatory = true }, context);
        using var raw = await RawPeer.ConnectAsync(router.Bind("tcp://127.0.0.1:0"));

        // An unversioned peer starts with its identity message; it reads Baton's signature as the head of Baton's (empty) identity.
        await raw.SendAsync(Frame10(false, Ascii("r-1")));
        Assert.Equal(Signature(), await raw.ReadExactlyAsync(10));

        await raw.SendAsync(Frame10(true, Ascii("multi")), Frame10(true, []), Frame10(false, Ascii("part")));
        Assert.Equal(["r-1", "multi", "", "part"], (await router.ReceiveOrFail()).ToStrings());

        // Larger than the read buffer, and a reply larger than the pipe's copy threshold: both by their own paths.
        var big = new byte[200_000];
        new Random(3).NextBytes(big);
        await raw.SendAsync(Frame10(true, big), Frame10(false, Ascii("end")));
        using (var received = await router.ReceiveOrFail())
        {
            Assert.Equal(3, received.Count);
            Assert.True(received[1].Span.SequenceEqual(big), "the large frame changed on the way");
        }

        await router.SendOrFail(new Message("r-1", "small", ""));
        await router.SendOrFail(new Message(new Frame(Ascii("r-1")), new Frame(big), Frame.Empty, new Frame(Ascii("x"))));
        await AssertFrame10Async(raw, true, "small");
        await AssertFrame10Async(raw, false, "");
        var (more, body) = await ReadFrame10Async(raw);
        Assert.True(more);
        Assert.True(body.AsSpan().SequenceEqual(big), "the large frame changed on the way");
        await AssertFrame10Async(raw, true, "");
        await AssertFrame10Async(raw, false, "x");
    }

    [Fact]
    public async Task Zmtp10Peer_GetsBatonsIdentityAfterTheSignature()
    {
        using var context = new Context();
        await using var dealer = new DealerSocket(TestUtil.Quick with { Identity = Ascii("named") }, context);
        using var raw = await RawPeer.ConnectAsync(dealer.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync(Frame10(false, []));
        await AssertFrame10Async(raw, true, "named"); // 0x7F as flags: MORE set, as libzmq sends
        await dealer.SendOrFail(new Message("after"));
        await AssertFrame10Async(raw, false, "after");
    }

    [Fact]
    public async Task Zmtp10Subscriber_GetsEverything_FromAPub()
    {
        using var context = new Context();
        await using var pub = new PubSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pub.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync(Frame10(false, []));
        Assert.Equal(Signature(), await raw.ReadExactlyAsync(10));

        // A 1.0 subscriber never says what it wants: it filters by itself, so it must get it all.
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            await pub.SendOrFail(new Message("anything"));
            try
            {
                Assert.Equal(Frame10(false, Ascii("anything")), await raw.ReadExactlyAsync(10, TimeSpan.FromMilliseconds(100)));
                break;
            }
            catch (TimeoutException)
            {
                cancel.Token.ThrowIfCancellationRequested();
            }
        }
    }

    [Fact]
    public async Task Zmtp20Subscriber_SubscribesWithAMessage()
    {
        using var context = new Context();
        await using var pub = new PubSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pub.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync(Signature(), [0x01, 2], RawZmtp.Frame(0x00, []), RawZmtp.Frame(0x00, [0x01, .. Ascii("A")]));
        Assert.Equal([.. Signature(), 3, 1, 0x00, 0x00], await raw.ReadExactlyAsync(14));

        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            await pub.SendOrFail(new Message("B-filtered"));
            await pub.SendOrFail(new Message("A-topic"));
            try
            {
                Assert.Equal(RawZmtp.Message("A-topic"), await raw.ReadExactlyAsync(9, TimeSpan.FromMilliseconds(100)));
                break;
            }
            catch (TimeoutException)
            {
                cancel.Token.ThrowIfCancellationRequested();
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Subscriber_SendsSubscriptionsAsMessages_ToAnOlderPublisher(byte revision)
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var sub = new SubSocket(TestUtil.Quick, context);
        sub.Subscribe(Ascii("topic"));
        sub.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);

        // Revision 0: the 2.0 greeting, then ZMTP 1.0 framing (libzmq's ZMTP_1_0).
        byte[] identity = revision == 1 ? RawZmtp.Frame(0x00, []) : Frame10(false, []);
        await raw.SendAsync(Signature(), [revision, 1], identity);
        Assert.Equal([.. Signature(), 3, 2, .. identity], await raw.ReadExactlyAsync(14));
        byte[] subscription = [0x01, .. Ascii("topic")];
        Assert.Equal(revision == 1 ? RawZmtp.Frame(0x00, subscription) : Frame10(false, subscription), await raw.ReadExactlyAsync(8));

        byte[] message = revision == 1 ? [.. RawZmtp.Message("other"), .. RawZmtp.Message("topic", "")] : [.. Frame10(false, Ascii("other")), .. Frame10(true, Ascii("topic")), .. Frame10(false, [])];
        await raw.SendAsync(message);
        Assert.Equal(["topic", ""], (await sub.ReceiveOrFail()).ToStrings());
    }
}
