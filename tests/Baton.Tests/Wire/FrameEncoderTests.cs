using Baton.Messages;
using Baton.Wire;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>Wire's encoders against golden bytes written by hand from RFC 37.</summary>
public class FrameEncoderTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x00, 0x00 })]
    [InlineData(1, new byte[] { 0x00, 0x01 })]
    [InlineData(255, new byte[] { 0x00, 0xFF })]
    [InlineData(256, new byte[] { 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x00 })]
    [InlineData(8192, new byte[] { 0x02, 0, 0, 0, 0, 0, 0, 0x20, 0x00 })]
    [InlineData(1L << 33, new byte[] { 0x02, 0, 0, 0, 0x02, 0, 0, 0, 0 })]
    public void Header_IsShortUpTo255_LongBeyond(long size, byte[] golden)
    {
        var buffer = new byte[9];
        var length = FrameEncoder.WriteHeader(buffer, 0, size);
        Assert.Equal(golden, buffer[..length]);
        Assert.Equal(golden.Length, FrameEncoder.HeaderSize(size));
    }

    [Fact]
    public void Header_KeepsMoreAndCommandFlags()
    {
        var buffer = new byte[9];
        FrameEncoder.WriteHeader(buffer, Zmtp.FlagMore, 3);
        Assert.Equal(new byte[] { 0x01, 3 }, buffer[..2]);
        FrameEncoder.WriteHeader(buffer, Zmtp.FlagCommand, 300);
        Assert.Equal(new byte[] { 0x06, 0, 0, 0, 0, 0, 0, 0x01, 0x2C }, buffer);
    }

    [Fact]
    public void Message_GetsMoreOnEveryFrameButTheLast()
    {
        using var message = new Message("a", "", "bc");
        var buffer = new byte[FrameEncoder.MessageSize(message.Body, 8192)];
        Assert.Equal(buffer.Length, FrameEncoder.WriteMessage(buffer, message.Body));
        Assert.Equal(new byte[] { 0x01, 1, (byte)'a', 0x01, 0, 0x00, 2, (byte)'b', (byte)'c' }, buffer);
    }

    [Fact]
    public void Message_WithAFrameOverTheLimit_HasNoInlineSize()
    {
        using var message = new Message(new Frame(new byte[10_000]), "x");
        Assert.Equal(-1, FrameEncoder.MessageSize(message.Body, 8192));
        Assert.Equal(9 + 10_000 + 2 + 1, FrameEncoder.MessageSize(message.Body, 10_000));
    }

    [Fact]
    public void Message_MatchesTheHandWrittenEncoding_ForEveryShape()
    {
        byte[][] frames = [[], new byte[255], new byte[256], new byte[8192], [1, 2, 3]];
        using var message = new Message();
        foreach (var frame in frames)
        {
            message.Append(frame);
        }

        var buffer = new byte[FrameEncoder.MessageSize(message.Body, int.MaxValue)];
        FrameEncoder.WriteMessage(buffer, message.Body);
        Assert.Equal(RawZmtp.Message(frames), buffer);
    }

    [Fact]
    public void Greeting_IsZmtp31_WithMechanismAndRole()
    {
        var greeting = new byte[64];
        Greeting.Write(greeting, "NULL", asServer: false);
        Assert.Equal(RawZmtp.Greeting(), greeting);
        Greeting.Write(greeting, "CURVE", asServer: true);
        Assert.Equal(RawZmtp.Greeting(mechanism: "CURVE", asServer: true), greeting);

        var parsed = Greeting.Parse(RawZmtp.Greeting(minor: 0, mechanism: "PLAIN", asServer: true));
        Assert.Equal((3, 0, "PLAIN", true, true), (parsed.Major, parsed.Minor, parsed.Mechanism, parsed.AsServer, parsed.IsZmtp30));
    }

    [Theory]
    [InlineData(new byte[] { 0x42 }, "not a ZMTP greeting")]
    [InlineData(new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7E }, "ZMTP 1.0")]
    [InlineData(new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0 }, "a ZMTP 1.0 greeting")]
    [InlineData(new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 1 }, "a ZMTP 2.0 greeting")]
    [InlineData(new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 2 }, "a revision 2 greeting")]
    public void GreetingPrefix_IsRefusedAtItsFirstBadByte(byte[] prefix, string reason)
        => Assert.Contains(reason, Assert.Throws<PeerException>(() => Greeting.ValidatePrefix(prefix)).Message);

    [Fact]
    public void Commands_MatchRfc37()
    {
        Assert.Equal(RawZmtp.Ready("DEALER", [9, 8]), Commands.Frame(Commands.Ready, Commands.ReadyMetadata("DEALER", [9, 8])));
        Assert.Equal(RawZmtp.Command("PING", [0, 25], [7]), FrameEncoder.EncodeFrame(Zmtp.FlagCommand, Commands.PingBody(TimeSpan.FromSeconds(2.5), [7])));
        Assert.Equal(RawZmtp.Command("PONG", [7]), FrameEncoder.EncodeFrame(Zmtp.FlagCommand, Commands.PongBody([7])));
        Assert.Equal(RawZmtp.Command("ERROR", [4, .. "nope"u8]), FrameEncoder.EncodeFrame(Zmtp.FlagCommand, Commands.ErrorBody("nope")));
    }

    [Fact]
    public void Commands_ParseBack()
    {
        var ping = Commands.PingBody(TimeSpan.FromSeconds(1), [1, 2]);
        Assert.Equal(CommandName.Ping, Commands.Parse(ping, out var name, out var data));
        Assert.True(name.SequenceEqual("PING"u8));
        Assert.Equal(1000, Commands.ParsePing(data, out var context));
        Assert.Equal(new byte[] { 1, 2 }, context.ToArray());

        Assert.Equal(CommandName.Error, Commands.Parse(Commands.ErrorBody("why"), out _, out data));
        Assert.Equal("why", Commands.ErrorReason(data));
        Assert.Equal("why?not?", Commands.ErrorReason([8, .. "why\nnot\u001b"u8]));
        Assert.Equal(CommandName.Unknown, Commands.Parse([3, .. "FOO"u8], out _, out _));
        Assert.Throws<PeerException>(() => Commands.Parse([9, .. "FOO"u8], out _, out _));
        Assert.Throws<PeerException>(() => Commands.ParsePing([0], out _));
    }

    [Fact]
    public void Subscriptions_TakeTheCommandFormOrThe30MessageForm()
    {
        byte[] subscribe = [1, .. "topic"u8];
        byte[] cancel = [0, .. "topic"u8];
        var (flags, body) = Subscriptions.Encode(subscribe, zmtp30: false);
        Assert.Equal(0x04, flags);
        Assert.Equal([9, .. "SUBSCRIBE"u8, .. "topic"u8], body);
        (flags, body) = Subscriptions.Encode(cancel, zmtp30: false);
        Assert.Equal(0x04, flags);
        Assert.Equal([6, .. "CANCEL"u8, .. "topic"u8], body);
        (flags, body) = Subscriptions.Encode(subscribe, zmtp30: true);
        Assert.Equal(0, flags);
        Assert.Equal(subscribe, body);

        var message = new byte[Subscriptions.MessageLength(5)];
        Subscriptions.WriteMessage(message, subscribe: false, "topic"u8);
        Assert.Equal(cancel, message);
    }
}
