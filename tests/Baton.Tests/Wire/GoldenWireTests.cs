using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>Byte-exact ZMTP 3.1 (RFC 37) checks of what a Baton socket writes to and accepts from a raw tcp peer.</summary>
public class GoldenWireTests
{
    private static readonly byte[] ExpectedGreeting =
    [
        0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, // signature: the padding is the identity's length + 1, for ZMTP 1.0 peers (RFC 15 2.1)
        0x03, 0x01, // version 3.1
        (byte)'N', (byte)'U', (byte)'L', (byte)'L', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // mechanism, 20 bytes
        0x00, // as-server
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // filler, 31 bytes
    ];

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public async Task BoundSocket_SendsTheZmtp31NullGreetingInStages_AsLibzmqDoes()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        Assert.Equal(64, ExpectedGreeting.Length);

        // The signature alone until the peer's shows it is not a ZMTP 1.0 peer (RFC 37, backwards interoperability).
        Assert.Equal(ExpectedGreeting[..10], await raw.ReadExactlyAsync(10));
        await Assert.ThrowsAsync<TimeoutException>(() => raw.ReadExactlyAsync(1, TimeSpan.FromMilliseconds(200)));
        await raw.SendAsync(RawZmtp.Greeting()[..10]);

        // Then the major version, and the rest only once the peer's version shows it speaks ZMTP 3.
        Assert.Equal(ExpectedGreeting[10..11], await raw.ReadExactlyAsync(1));
        await Assert.ThrowsAsync<TimeoutException>(() => raw.ReadExactlyAsync(1, TimeSpan.FromMilliseconds(200)));
        await raw.SendAsync(RawZmtp.Greeting()[10..11]);
        Assert.Equal(ExpectedGreeting[11..], await raw.ReadExactlyAsync(53));
    }

    [Fact]
    public async Task Signature_CarriesTheIdentityLength_ForZmtp10Peers()
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var dealer = new DealerSocket(TestUtil.Quick with { Identity = Ascii("id-1") }, context);
        dealer.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);
        Assert.Equal([0xFF, 0, 0, 0, 0, 0, 0, 0, 5, 0x7F], await raw.ReadExactlyAsync(10));
    }

    [Fact]
    public async Task ConnectingSocket_SendsTheSameGreeting()
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);
        await raw.SendAsync(RawZmtp.Greeting());
        Assert.Equal(ExpectedGreeting, await raw.ReadExactlyAsync(64));
    }

    [Fact]
    public async Task Ready_CarriesTheSocketType()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync(RawZmtp.Greeting());
        await raw.ReadExactlyAsync(64);
        await raw.SendAsync(RawZmtp.Ready("PUSH"));
        byte[] expected =
        [
            0x04, 26, // command, short size: 1 + 5 + 1 + 11 + 4 + 4
            5, .. Ascii("READY"),
            11, .. Ascii("Socket-Type"), 0, 0, 0, 4, .. Ascii("PULL"),
        ];
        Assert.Equal(expected, await raw.ReadRawFrameAsync());
    }

    [Fact]
    public async Task Ready_CarriesTheIdentityWhenSet()
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var dealer = new DealerSocket(TestUtil.Quick with { Identity = Ascii("id-1") }, context);
        dealer.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);
        await raw.SendAsync(RawZmtp.Greeting(), RawZmtp.Ready("ROUTER"));
        await raw.ReadExactlyAsync(64);
        byte[] expected =
        [
            0x04, 45, // 1 + 5 + (1 + 11 + 4 + 6) + (1 + 8 + 4 + 4)
            5, .. Ascii("READY"),
            11, .. Ascii("Socket-Type"), 0, 0, 0, 6, .. Ascii("DEALER"),
            8, .. Ascii("Identity"), 0, 0, 0, 4, .. Ascii("id-1"),
        ];
        Assert.Equal(expected, await raw.ReadRawFrameAsync());
    }

    [Fact]
    public async Task Frames_UseShortAndLongSizesAndTheMoreFlag()
    {
        using var context = new Context();
        await using var push = new PushSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(push.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PULL");
        var b255 = Enumerable.Range(0, 255).Select(i => (byte)i).ToArray();
        var b256 = Enumerable.Range(0, 256).Select(i => (byte)(i * 7)).ToArray();
        var b300 = Enumerable.Range(0, 300).Select(i => (byte)(i * 3)).ToArray();
        await push.SendOrFail(new Message(new Frame(Ascii("ab")), new Frame(b255), new Frame(b256), Frame.Empty, new Frame(b300)));
        await push.SendOrFail(new Message("z"));
        byte[] expected =
        [
            0x01, 2, .. Ascii("ab"), // MORE, short
            0x01, 255, .. b255, // MORE, largest short size
            0x03, 0, 0, 0, 0, 0, 0, 1, 0, .. b256, // MORE|LONG, 8-byte big-endian 256
            0x01, 0, // MORE, empty frame
            0x02, 0, 0, 0, 0, 0, 0, 1, 0x2C, .. b300, // LONG, last frame: no MORE
            0x00, 1, .. Ascii("z"), // a second single-frame message
        ];
        Assert.Equal(expected, await raw.ReadExactlyAsync(expected.Length));
    }

    [Fact]
    public async Task ShortAndLongFrames_FromTheWire_AreDecoded()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");
        var big = Enumerable.Range(0, 70_000).Select(i => (byte)(i % 251)).ToArray();

        // A long frame may carry a small size too (RFC 37 allows it); the decoder must accept it.
        await raw.SendAsync(
            [0x01, 2, .. Ascii("ab")],
            [0x03, 0, 0, 0, 0, 0, 0, 0, 3, .. Ascii("cde")],
            RawZmtp.Frame(0x00, big));
        var message = await pull.ReceiveOrFail();
        Assert.Equal(3, message.Count);
        Assert.Equal("ab", message[0].ToString());
        Assert.Equal("cde", message[1].ToString());
        Assert.Equal(big, message[2].ToArray());
    }

    [Fact]
    public async Task Sub_SendsSubscribeAndCancelCommandsToA31Peer()
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var sub = new SubSocket(TestUtil.Quick, context);
        sub.Subscribe("A");
        sub.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);
        await raw.HandshakeAsync("PUB");

        // libzmq's tests/test_mock_pub_sub.cpp expects exactly "\4\xb\x9SUBSCRIBEA".
        Assert.Equal([0x04, 0x0B, 9, .. Ascii("SUBSCRIBE"), (byte)'A'], await raw.ReadRawFrameAsync());
        await raw.SendAsync(RawZmtp.Message("B", "skip"), RawZmtp.Message("A", "take"));
        Assert.Equal(["A", "take"], (await sub.ReceiveOrFail()).ToStrings());
        sub.Unsubscribe("A");
        Assert.Equal([0x04, 0x08, 6, .. Ascii("CANCEL"), (byte)'A'], await raw.ReadRawFrameAsync());
    }

    [Fact]
    public async Task Sub_SendsLegacySubscriptionMessagesToA30Peer()
    {
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        using var context = new Context();
        await using var sub = new SubSocket(TestUtil.Quick, context);
        sub.Subscribe("A");
        sub.Connect(endpoint);
        using var raw = await RawPeer.AcceptAsync(listener);
        await raw.HandshakeAsync("PUB", minor: 0);

        // ZMTP 3.0 (RFC 23): a subscription is an ordinary message whose first byte is 1 (or 0 to cancel).
        Assert.Equal([0x00, 2, 0x01, (byte)'A'], await raw.ReadRawFrameAsync());
        sub.Subscribe("BC");
        Assert.Equal([0x00, 3, 0x01, (byte)'B', (byte)'C'], await raw.ReadRawFrameAsync());
        sub.Unsubscribe("A");
        Assert.Equal([0x00, 2, 0x00, (byte)'A'], await raw.ReadRawFrameAsync());
        await raw.SendAsync(RawZmtp.Message("A", "skip"), RawZmtp.Message("BCD", "take"));
        Assert.Equal(["BCD", "take"], (await sub.ReceiveOrFail()).ToStrings());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task XPub_AcceptsBothSubscriptionForms(byte minor)
    {
        using var context = new Context();
        await using var xpub = new XPubSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(xpub.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("SUB", minor);
        await raw.SendAsync(RawZmtp.Command("SUBSCRIBE", Ascii("cmd")), RawZmtp.Message([[0x01, .. Ascii("msg")]]));
        Assert.Equal([0x01, .. Ascii("cmd")], (await xpub.ReceiveOrFail())[0].ToArray());
        Assert.Equal([0x01, .. Ascii("msg")], (await xpub.ReceiveOrFail())[0].ToArray());

        // The XPUB filters for the raw peer with both subscriptions.
        await xpub.SendOrFail(new Message("other"));
        await xpub.SendOrFail(new Message("msg-1"));
        await xpub.SendOrFail(new Message("cmd-2"));
        Assert.Equal(RawZmtp.Message("msg-1"), await raw.ReadRawFrameAsync());
        Assert.Equal(RawZmtp.Message("cmd-2"), await raw.ReadRawFrameAsync());

        await raw.SendAsync(RawZmtp.Command("CANCEL", Ascii("cmd")), RawZmtp.Message([[0x00, .. Ascii("msg")]]));
        Assert.Equal([0x00, .. Ascii("cmd")], (await xpub.ReceiveOrFail())[0].ToArray());
        Assert.Equal([0x00, .. Ascii("msg")], (await xpub.ReceiveOrFail())[0].ToArray());
    }

    [Fact]
    public async Task Ping_IsAnsweredByPongEchoingTheContext()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");

        // PING = %d4 "PING" ttl(2, deciseconds) context(0-16).
        await raw.SendAsync([0x04, 10, 4, .. Ascii("PING"), 0x00, 0x00, .. Ascii("ctx")]);
        Assert.Equal([0x04, 8, 4, .. Ascii("PONG"), .. Ascii("ctx")], await raw.ReadRawFrameAsync());
        await raw.SendAsync([0x04, 7, 4, .. Ascii("PING"), 0x00, 0x0A]);
        Assert.Equal([0x04, 5, 4, .. Ascii("PONG")], await raw.ReadRawFrameAsync());
        var sixteen = Enumerable.Range(0, 16).Select(i => (byte)(0xF0 + i / 2)).ToArray();
        await raw.SendAsync(RawZmtp.Command("PING", [0x00, 0x00, .. sixteen]));
        Assert.Equal(RawZmtp.Command("PONG", sixteen), await raw.ReadRawFrameAsync());

        // The connection is still good for messages.
        await raw.SendAsync(RawZmtp.Message("after", "ping"));
        Assert.Equal(["after", "ping"], (await pull.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task HeartbeatInterval_SendsPingsWithTheConfiguredTtl()
    {
        using var context = new Context();

        // A generous timeout: this raw peer never answers, and a loaded machine may write the PING late.
        var options = TestUtil.Quick with
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            HeartbeatTimeout = TimeSpan.FromSeconds(10),
            HeartbeatTtl = TimeSpan.FromSeconds(2),
        };
        await using var pull = new PullSocket(options, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");
        Assert.Equal([0x04, 7, 4, .. Ascii("PING"), 0x00, 20], await raw.ReadRawFrameAsync());
    }

    [Fact]
    public async Task UnknownCommands_AreIgnored()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");
        await raw.SendAsync(RawZmtp.Command("X-FUTURE", Ascii("data")), RawZmtp.Message("still", "here"));
        Assert.Equal(["still", "here"], (await pull.ReceiveOrFail()).ToStrings());
    }
}
