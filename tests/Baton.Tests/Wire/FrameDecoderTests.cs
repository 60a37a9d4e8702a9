using Baton.Wire;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>Wire's frame decoder driven on byte spans: every frame shape, every split of the input, the limits.</summary>
public class FrameDecoderTests
{
    private const int LargeFrameSize = 32 * 1024;

    /// <summary>Name and the frames (flags, body) of each shape; the bytes are written by hand (RawZmtp), not by Baton's encoder.</summary>
    public static TheoryData<string> Shapes() => new(ShapeFrames.Keys);

    private static readonly Dictionary<string, (byte Flags, byte[] Body)[]> ShapeFrames = new()
    {
        ["short"] = [(0x00, Bytes(5))],
        ["empty"] = [(0x00, [])],
        ["255 bytes (last short)"] = [(0x00, Bytes(255))],
        ["256 bytes (first long)"] = [(0x00, Bytes(256))],
        ["multipart with MORE"] = [(0x01, Bytes(3)), (0x01, []), (0x01, Bytes(300)), (0x00, Bytes(1))],
        ["command"] = [(0x04, [4, .. "PING"u8, 0, 10, 1, 2])],
        ["long command"] = [(0x04, [5, .. "HELLO"u8, .. Bytes(400)])],
        ["8 KB"] = [(0x00, Bytes(8 * 1024))],
        ["large (above the large-frame size)"] = [(0x01, Bytes(LargeFrameSize + 5000)), (0x00, Bytes(7))],
        ["commands between frames"] = [(0x01, Bytes(2)), (0x04, [4, .. "PONG"u8]), (0x00, Bytes(2))],
        ["long form for a short size"] = [(0x02, Bytes(10))],
    };

    private static byte[] Bytes(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i * 7 + 1);
        }

        return bytes;
    }

    private static byte[] Encode((byte Flags, byte[] Body)[] frames)
        => [.. frames.SelectMany(f => RawZmtp.Frame(f.Flags, f.Body))];

    private static FrameDecoder NewDecoder(long maxMessageSize = -1, int maxFrames = -1)
        => new(maxMessageSize, maxFrames, 64 * 1024 - 9, LargeFrameSize);

    /// <summary>
    /// Feeds <paramref name="pieces"/> one after another as a connection does: keeps what the decoder
    /// did not consume, appends the next piece, and gathers a large frame's body itself.
    /// </summary>
    private static List<(byte Flags, byte[] Body)> DecodeAll(ref FrameDecoder decoder, params byte[][] pieces)
    {
        var frames = new List<(byte, byte[])>();
        byte[] pending = [];
        (byte Flags, byte[] Body, int Have)? large = null;
        foreach (var piece in pieces)
        {
            var input = pending.Length == 0 ? piece : [.. pending, .. piece];
            var at = 0;
            while (true)
            {
                if (large is { } gathering)
                {
                    var take = Math.Min(gathering.Body.Length - gathering.Have, input.Length - at);
                    input.AsSpan(at, take).CopyTo(gathering.Body.AsSpan(gathering.Have));
                    at += take;
                    large = gathering with { Have = gathering.Have + take };
                    if (large.Value.Have < gathering.Body.Length)
                    {
                        break;
                    }

                    frames.Add((gathering.Flags, gathering.Body));
                    large = null;
                }

                var status = decoder.Decode(input.AsSpan(at), out var header);
                if (status == FrameStatus.NeedMore)
                {
                    break;
                }

                at += header.HeaderLength;
                if (status == FrameStatus.Frame)
                {
                    frames.Add((header.Flags, input.AsSpan(at, header.Size).ToArray()));
                    at += header.Size;
                }
                else
                {
                    Assert.True(header.Size > LargeFrameSize);
                    Assert.False(header.IsCommand);
                    large = (header.Flags, new byte[header.Size], 0);
                }
            }

            pending = input[at..];
        }

        Assert.Empty(pending);
        Assert.Null(large);
        return frames;
    }

    private static void AssertFrames((byte Flags, byte[] Body)[] expected, List<(byte Flags, byte[] Body)> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            // The decoder reports the flags as sent: the long form keeps its LONG bit.
            var expectedFlags = expected[i].Body.Length > 255 ? (byte)(expected[i].Flags | 0x02) : expected[i].Flags;
            Assert.Equal(expectedFlags, actual[i].Flags);
            Assert.True(expected[i].Body.AsSpan().SequenceEqual(actual[i].Body), $"frame {i} body differs");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryShape_DecodesWhole(string shape)
    {
        var frames = ShapeFrames[shape];
        var decoder = NewDecoder();
        AssertFrames(frames, DecodeAll(ref decoder, Encode(frames)));
        Assert.False(decoder.InMessage);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryShape_SplitAtEveryByte_GivesTheSameFrames(string shape)
    {
        var frames = ShapeFrames[shape];
        var bytes = Encode(frames);
        for (var split = 0; split <= bytes.Length; split++)
        {
            var decoder = NewDecoder();
            AssertFrames(frames, DecodeAll(ref decoder, bytes[..split], bytes[split..]));
        }
    }

    [Fact]
    public void ByteAtATime_GivesTheSameFrames()
    {
        var frames = ShapeFrames.Where(s => !s.Key.StartsWith("large", StringComparison.Ordinal)).SelectMany(s => s.Value).ToArray();
        var bytes = Encode(frames);
        var decoder = NewDecoder();
        AssertFrames(frames, DecodeAll(ref decoder, bytes.Select(b => new[] { b }).ToArray()));
    }

    [Fact]
    public void Header_OfAFrameNotWhole_IsNotConsumed()
    {
        var decoder = NewDecoder();
        var bytes = RawZmtp.Frame(0x01, Bytes(100));
        Assert.Equal(FrameStatus.NeedMore, decoder.Decode(bytes.AsSpan(0, 50), out _));
        Assert.False(decoder.InMessage);
        Assert.Equal(FrameStatus.Frame, decoder.Decode(bytes, out var header));
        Assert.Equal(100, header.Size);
        Assert.True(header.More);
        Assert.True(decoder.InMessage);
    }

    [Fact]
    public void LargeFrame_IsReportedOnItsHeaderAlone()
    {
        var decoder = NewDecoder();
        Assert.Equal(FrameStatus.LargeFrame, decoder.Decode(RawZmtp.Header(0x00, 1L << 30), out var header));
        Assert.Equal(1 << 30, header.Size);
        Assert.Equal(9, header.HeaderLength);
    }

    [Theory]
    [InlineData(new byte[] { 0x08, 0 }, "reserved flag bits")]
    [InlineData(new byte[] { 0x80, 0 }, "reserved flag bits")]
    [InlineData(new byte[] { 0x05, 0 }, "command with the MORE flag")]
    [InlineData(new byte[] { 0x06, 0, 0, 0, 0, 0, 1, 0, 0 }, "larger than any valid command")]
    [InlineData(new byte[] { 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0 }, "maximum message size")]
    public void MalformedHeader_Throws(byte[] bytes, string reason)
    {
        var decoder = NewDecoder();
        var e = Assert.Throws<PeerException>(() => decoder.Decode(bytes, out _));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void MaxMessageSize_CountsEveryFrame_AndRejectsOnTheHeader()
    {
        var decoder = NewDecoder(maxMessageSize: 1000);
        Assert.Equal(FrameStatus.Frame, decoder.Decode(RawZmtp.Frame(0x01, Bytes(600)), out _));

        // Only the header of the second frame: refused before its body arrives.
        var e = Assert.Throws<PeerException>(() => decoder.Decode(RawZmtp.Header(0x00, 401), out _));
        Assert.Contains("maximum message size", e.Message);

        var fresh = NewDecoder(maxMessageSize: 1000);
        Assert.Equal(FrameStatus.Frame, fresh.Decode(RawZmtp.Frame(0x01, Bytes(600)), out _));
        Assert.Equal(FrameStatus.Frame, fresh.Decode(RawZmtp.Frame(0x00, Bytes(400)), out _));
        Assert.Equal(FrameStatus.Frame, fresh.Decode(RawZmtp.Frame(0x00, Bytes(1000)), out _));
    }

    [Fact]
    public void MaxFrames_BoundsAMessageOfEmptyFrames()
    {
        var decoder = NewDecoder(maxFrames: 3);
        byte[] more = [0x01, 0];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(FrameStatus.Frame, decoder.Decode(more, out _));
        }

        var e = Assert.Throws<PeerException>(() => decoder.Decode(more, out _));
        Assert.Contains("maximum of 3 frames", e.Message);

        // A message that ends in time starts the count again.
        var ok = NewDecoder(maxFrames: 3);
        for (var message = 0; message < 5; message++)
        {
            ok.Decode(more, out _);
            ok.Decode(more, out _);
            Assert.Equal(FrameStatus.Frame, ok.Decode([0x00, 0], out _));
        }
    }

    [Fact]
    public void Commands_DoNotCountAsFramesOfTheMessage()
    {
        var decoder = NewDecoder(maxFrames: 2);
        var ping = RawZmtp.Command("PING", [0, 0]);
        decoder.Decode([0x01, 0], out _);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(FrameStatus.Frame, decoder.Decode(ping, out var header));
            Assert.True(header.IsCommand);
        }

        Assert.Equal(FrameStatus.Frame, decoder.Decode([0x00, 0], out _));
    }
}
