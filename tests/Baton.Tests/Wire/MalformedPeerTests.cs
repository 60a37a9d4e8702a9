using System.Net.Sockets;
using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// A peer that breaks ZMTP is dropped with a logged reason; the socket keeps serving its other peers
/// and loses nothing it had already received.
/// </summary>
public class MalformedPeerTests
{
    private static readonly byte[] Handshake = [.. RawZmtp.Greeting(), .. RawZmtp.Ready("PUSH")];
    private static readonly byte[] Before = RawZmtp.Message("raw", "before");

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] With(byte[] greeting, int index, byte value)
    {
        var copy = (byte[])greeting.Clone();
        copy[index] = value;
        return copy;
    }

    /// <summary>Name, bytes the bad peer sends, whether it then hangs up, the logged reason, whether "raw/before" must arrive.</summary>
    public static TheoryData<string, byte[], bool, string, bool> Cases()
    {
        var greeting = RawZmtp.Greeting();
        var random = new Random(12345);
        var garbage = new byte[300];
        random.NextBytes(garbage);
        garbage[0] = 0x42;
        return new TheoryData<string, byte[], bool, string, bool>
        {
            { "garbage", garbage, false, "not a ZMTP greeting", false },
            { "http request", Ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false, "not a ZMTP greeting", false },
            { "signature without final bit", With(greeting, 9, 0x7E), false, "not a ZMTP greeting (read as a ZMTP 1.0 identity frame", false },
            { "ZMTP 1.0 identity too long", [0xFF, 0, 0, 0, 0, 0, 0, 1, 1, 0x00], false, "it would be 256 bytes long", false },
            { "unknown revision", With(greeting, 10, 0x02), false, "not a ZMTP greeting (unknown revision 0x02)", false },
            { "ZMTP 2.0 greeting of a PUB", With(greeting, 10, 0x01), false, "invalid socket pairing: a PULL socket cannot talk to a PUB socket", false },
            { "ZMTP 2.0 unknown socket type", [.. greeting[..10], 0x01, 42], false, "unknown peer socket type 42", false },
            { "ZMTP 2.0 command frame", [.. greeting[..10], 0x01, 8, 0x00, 0x00, .. RawZmtp.Message("raw", "before"), .. RawZmtp.Command("PING", [0, 0])], false, "malformed ZMTP 2.0 frame", true },
            { "ZMTP 2.0 identity with reserved bits", [.. greeting[..10], 0x01, 8, 0x40, 0x00], false, "malformed ZMTP 2.0 frame", false },
            { "ZMTP 1.0 frame with reserved bits", [0x01, 0x00, 0x04, 0x01, .. Ascii("raw"), 0x07, 0x00, .. Ascii("before"), 0x01, 0x02], false, "malformed ZMTP 1.0 frame", true },
            { "PLAIN mechanism", RawZmtp.Greeting(mechanism: "PLAIN"), false, "mechanism mismatch", false },
            { "CURVE mechanism", RawZmtp.Greeting(mechanism: "CURVE", asServer: true), false, "mechanism mismatch", false },
            { "truncated greeting", greeting[..40], true, "during the greeting", false },
            { "stalled greeting", greeting[..40], false, "did not complete in time", false },
            { "stalled before READY", greeting, false, "did not complete in time", false },
            { "message before READY", [.. greeting, .. RawZmtp.Message("early")], false, "before completing the handshake", false },
            { "incompatible socket type", [.. greeting, .. RawZmtp.Ready("SUB")], false, "invalid socket pairing", false },
            { "unknown socket type", [.. greeting, .. RawZmtp.Ready("TEAPOT")], false, "unknown peer socket type", false },
            { "READY without Socket-Type", [.. greeting, .. RawZmtp.Command("READY", RawZmtp.Property("Identity", Ascii("x")))], false, "without a Socket-Type", false },
            { "READY with truncated metadata", [.. greeting, .. RawZmtp.Command("READY", [11, .. Ascii("Socket-Type"), 0, 0, 0, 200, .. Ascii("PUSH")])], false, "malformed READY metadata", false },
            { "ERROR instead of READY", [.. greeting, .. RawZmtp.Command("ERROR", [4, .. Ascii("nope")])], false, "refused the handshake: nope", false },
            { "empty command", [.. greeting, 0x04, 0x00], false, "malformed command", false },
            { "command name longer than body", [.. greeting, 0x04, 0x03, 0x09, (byte)'R', (byte)'E'], false, "malformed command", false },
            { "reserved flag bits", [.. Handshake, .. Before, 0x80, 0x01, 0x00], false, "reserved flag bits", true },
            { "command with MORE", [.. Handshake, .. Before, .. With(RawZmtp.Command("PING", [0, 0]), 0, 0x05)], false, "command with the MORE flag", true },
            { "huge command", [.. Handshake, .. Before, 0x06, 0, 0, 0, 0, 0, 1, 0, 0], false, "larger than any valid command", true },
            { "malformed PING", [.. Handshake, .. Before, .. RawZmtp.Command("PING", [0])], false, "malformed PING", true },
            { "second READY", [.. Handshake, .. Before, .. RawZmtp.Ready("PUSH")], false, "second READY", true },
            { "frame over MaxMessageSize", [.. Handshake, .. Before, .. RawZmtp.Frame(0x00, new byte[2000])], false, "maximum message size", true },
            { "long size near 2^64", [.. Handshake, .. Before, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0], false, "maximum message size", true },
            { "multipart over MaxMessageSize", [.. Handshake, .. Before, .. RawZmtp.Frame(0x01, new byte[600]), .. RawZmtp.Frame(0x00, new byte[600])], false, "maximum message size", true },
            { "hang-up mid-frame", [.. Handshake, .. Before, 0x00, 100, .. new byte[10]], true, "middle of a frame", true },
            { "hang-up mid-header", [.. Handshake, .. Before, 0x02, 0, 0, 0], true, "middle of a frame", true },
            { "hang-up mid-message", [.. Handshake, .. Before, .. RawZmtp.Frame(0x01, Ascii("first of two"))], true, "middle of a message", true },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BadPeer_IsDroppedWithAReason_AndGoodPeersKeepWorking(string name, byte[] stream, bool hangUp, string reason, bool deliversBefore)
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var options = TestUtil.Quick with { HandshakeInterval = TimeSpan.FromSeconds(1), MaxMessageSize = 1024 };
        await using var pull = new PullSocket(options, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var good = new PushSocket(TestUtil.Quick, context);
        good.Connect(endpoint);
        await good.SendOrFail(new Message("good", "1"));
        Assert.Equal(["good", "1"], (await pull.ReceiveOrFail()).ToStrings());

        using (var raw = await RawPeer.ConnectAsync(endpoint))
        {
            await raw.SendAsync(stream);
            if (hangUp)
            {
                raw.Socket.Shutdown(SocketShutdown.Send);
            }

            Assert.True(await raw.WaitClosedAsync(), $"{name}: the bad peer was not disconnected");
        }

        var drop = await logs.WaitForDropAsync(reason);
        Assert.Contains(endpoint, drop.Message);

        // The good peer still gets through, and what the bad peer completed before it broke was kept.
        await good.SendOrFail(new Message("good", "2"));
        var expected = new List<string> { "good/2" };
        if (deliversBefore)
        {
            expected.Add("raw/before");
        }

        var seen = new List<string>();
        while (seen.Count < expected.Count)
        {
            seen.Add(string.Join("/", (await pull.ReceiveOrFail()).ToStrings()));
        }

        Assert.Equal(expected.Order(), seen.Order());
        Assert.False(pull.TryReceive(out var extra, TimeSpan.FromMilliseconds(50)), $"unexpected message {extra}");
    }

    [Fact]
    public async Task CleanClose_IsNotLoggedAsADrop()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        using (var raw = await RawPeer.ConnectAsync(endpoint))
        {
            await raw.SendAsync(Handshake, Before);
            raw.Socket.Shutdown(SocketShutdown.Send);
            Assert.True(await raw.WaitClosedAsync());
        }

        await logs.WaitForAsync(e => e.EventId == 3 && e.Message.Contains("closed the connection"));
        Assert.Equal(["raw", "before"], (await pull.ReceiveOrFail()).ToStrings());
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task SubscribeCommand_ToANonPublisher_IsNotDeliveredAsAMessage()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");
        await raw.SendAsync(RawZmtp.Command("SUBSCRIBE", Ascii("topic")), RawZmtp.Command("CANCEL", Ascii("topic")), RawZmtp.Message("data"));
        Assert.Equal(["data"], (await pull.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task ErrorCommand_IsSentToAnIncompatiblePeer()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync(RawZmtp.Greeting(), RawZmtp.Ready("PUB"));
        await raw.ReadExactlyAsync(64);
        var (flags, body) = await raw.ReadFrameAsync();
        Assert.Equal(0x04, flags);
        if (body[1] == (byte)'R')
        {
            // Our READY may precede the ERROR: Baton answers the greeting before it reads the peer's READY.
            (flags, body) = await raw.ReadFrameAsync();
        }

        Assert.Equal([5, .. Ascii("ERROR"), 19, .. Ascii("Invalid socket type")], body);
        Assert.True(await raw.WaitClosedAsync());
    }
}
