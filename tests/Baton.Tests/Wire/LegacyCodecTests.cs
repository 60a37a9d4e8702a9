using System.Buffers;
using System.Text;
using Baton.Wire;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>The ZMTP 2.0 and 1.0 byte logic (RFC 15, RFC 13) on spans: greeting stages, identity frames, 1.0 framing.</summary>
public class LegacyCodecTests
{
    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Theory]
    [InlineData(0, new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F })]
    [InlineData(4, new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 5, 0x7F })]
    [InlineData(255, new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x7F })]
    public void Signature_IsAOneZeroLongFrameHeader_ForOurIdentity(int identityLength, byte[] expected)
    {
        var signature = new byte[LegacyGreeting.SignatureSize];
        LegacyGreeting.WriteSignature(signature, identityLength);
        Assert.Equal(expected, signature);

        // A ZMTP 1.0 peer reads it as the long header of a frame of identityLength bytes (flags 0x7F, as libzmq sends).
        Assert.Equal((ulong)identityLength + 1, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(signature.AsSpan(1)));
    }

    [Fact]
    public void Signature_OfAZmtp2PlusPeer_IsKnownAfterTenBytes()
    {
        var greeting = RawZmtp.Greeting();
        for (var length = 0; length < LegacyGreeting.SignatureSize; length++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, LegacyGreeting.ReadSignature(greeting.AsSpan(0, length), out _));
        }

        for (var length = LegacyGreeting.SignatureSize; length <= greeting.Length; length++)
        {
            Assert.Equal(OperationStatus.Done, LegacyGreeting.ReadSignature(greeting.AsSpan(0, length), out var versioned));
            Assert.True(versioned);
        }
    }

    [Fact]
    public void Signature_OfAnUnversionedPeer_IsKnownFromItsFirstByte_OrFromByteNineForALongIdentity()
    {
        byte[] shortIdentity = [3, 0, .. Ascii("id")];
        Assert.Equal(OperationStatus.NeedMoreData, LegacyGreeting.ReadSignature([], out _));
        Assert.Equal(OperationStatus.Done, LegacyGreeting.ReadSignature(shortIdentity.AsSpan(0, 1), out var versioned));
        Assert.False(versioned);

        // A 1.0 identity of 254+ bytes starts with 0xFF too: its flags byte (byte 9) has MORE clear.
        byte[] longIdentity = [0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00, .. new byte[255]];
        for (var length = 1; length < 10; length++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, LegacyGreeting.ReadSignature(longIdentity.AsSpan(0, length), out _));
        }

        Assert.Equal(OperationStatus.Done, LegacyGreeting.ReadSignature(longIdentity, out versioned));
        Assert.False(versioned);
    }

    [Theory]
    [InlineData(0, true, "Zmtp10")]
    [InlineData(1, true, "Zmtp20")]
    [InlineData(2, false, "")]
    [InlineData(3, true, "Zmtp3")]
    [InlineData(4, true, "Zmtp3")]
    public void Revision_NamesTheVersion(byte revision, bool known, string expected)
    {
        Assert.Equal(known, LegacyGreeting.TryParseRevision(revision, out var version, out var error));
        if (known)
        {
            Assert.Equal(expected, version.ToString());
        }
        else
        {
            Assert.Contains("unknown revision 0x02", error);
        }
    }

    [Fact]
    public void SocketTypeBytes_AreRfc15s()
    {
        string[] names = ["PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"];
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(names[i], LegacyGreeting.SocketTypeName((byte)i));
            Assert.Equal((byte)i, LegacyGreeting.SocketTypeByte(names[i]));
        }

        Assert.Null(LegacyGreeting.SocketTypeName(11));
        Assert.Null(LegacyGreeting.SocketTypeName(0xFF));
    }

    [Fact]
    public void GreetingTail_IsTheTypeByteThenTheIdentityFrame()
    {
        Assert.Equal([8, 0x00, 0x00], LegacyGreeting.EncodeGreetingTail(ZmtpVersion.Zmtp20, "PUSH", []));
        Assert.Equal([5, 0x00, 2, .. Ascii("id")], LegacyGreeting.EncodeGreetingTail(ZmtpVersion.Zmtp20, "DEALER", Ascii("id")));
        Assert.Equal([6, 3, 0x00, .. Ascii("id")], LegacyGreeting.EncodeGreetingTail(ZmtpVersion.Zmtp10, "ROUTER", Ascii("id")));
        Assert.Equal([7, 1, 0x00], LegacyGreeting.EncodeGreetingTail(ZmtpVersion.Zmtp10, "PULL", []));
    }

    // Versions by name: the enum is internal, test methods are public.
    public static TheoryData<string, byte[], string> Identities() => new()
    {
        { "Zmtp20", [0x00, 0x00], "" },
        { "Zmtp20", [0x00, 3, .. Ascii("abc")], "abc" },
        { "Zmtp20", [0x02, 0, 0, 0, 0, 0, 0, 0, 3, .. Ascii("abc")], "abc" },
        { "Zmtp10", [1, 0x00], "" },
        { "Zmtp10", [4, 0x00, .. Ascii("abc")], "abc" },
        { "Zmtp10Unversioned", [0xFF, 0, 0, 0, 0, 0, 0, 0, 4, 0x00, .. Ascii("abc")], "abc" },
        { "Zmtp10Unversioned", [0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00, .. Enumerable.Repeat((byte)'z', 255)], new string('z', 255) },
    };

    [Theory]
    [MemberData(nameof(Identities))]
    public void IdentityFrame_IsReadAtEverySplit(string versionName, byte[] frame, string identity)
    {
        var version = Enum.Parse<ZmtpVersion>(versionName);
        byte[] stream = [.. frame, 0xEE, 0xEE];
        for (var length = 0; length < frame.Length; length++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, LegacyGreeting.ReadIdentity(version, stream.AsSpan(0, length), out _, out _, out _));
        }

        for (var length = frame.Length; length <= stream.Length; length++)
        {
            Assert.Equal(OperationStatus.Done, LegacyGreeting.ReadIdentity(version, stream.AsSpan(0, length), out var range, out var consumed, out _));
            Assert.Equal(frame.Length, consumed);
            Assert.Equal(identity, Encoding.ASCII.GetString(stream.AsSpan()[range]));
        }
    }

    [Theory]
    [InlineData("Zmtp20", new byte[] { 0x04, 0x00 }, "reserved flag bits set (0x04)")]
    [InlineData("Zmtp20", new byte[] { 0x02, 0, 0, 0, 0, 0, 0, 1, 0 }, "identity of 256 bytes")]
    [InlineData("Zmtp10", new byte[] { 0x00, 0x00 }, "a length of 0")]
    [InlineData("Zmtp10", new byte[] { 0x05, 0x02 }, "reserved flag bits set (0x02)")]
    [InlineData("Zmtp10Unversioned", new byte[] { (byte)'G', (byte)'E', (byte)'T' }, "not a ZMTP greeting (read as a ZMTP 1.0 identity frame: malformed ZMTP 1.0 frame: reserved flag bits set (0x45))")]
    [InlineData("Zmtp10Unversioned", new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7E }, "not a ZMTP greeting (read as a ZMTP 1.0 identity frame: malformed ZMTP 1.0 frame: a length of 0)")]
    public void MalformedIdentityFrame_IsRefusedWithAReason(string versionName, byte[] frame, string reason)
    {
        var version = Enum.Parse<ZmtpVersion>(versionName);
        Assert.Equal(OperationStatus.InvalidData, LegacyGreeting.ReadIdentity(version, frame, out _, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData(0, false, new byte[] { 1, 0x00 })]
    [InlineData(3, true, new byte[] { 4, 0x01 })]
    [InlineData(253, false, new byte[] { 254, 0x00 })]
    [InlineData(254, true, new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 0, 255, 0x01 })]
    [InlineData(255, false, new byte[] { 0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00 })]
    [InlineData(1 << 20, false, new byte[] { 0xFF, 0, 0, 0, 0, 0, 0x10, 0, 1, 0x00 })]
    public void Zmtp10Header_CountsTheFlagsByte(long size, bool more, byte[] expected)
    {
        var header = new byte[Zmtp1Codec.MaxHeaderSize];
        Assert.Equal(expected.Length, Zmtp1Codec.WriteHeader(header, more, size));
        Assert.Equal(expected.Length, Zmtp1Codec.HeaderSize(size));
        Assert.Equal(expected, header[..expected.Length]);

        for (var length = 0; length < expected.Length; length++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, Zmtp1Codec.ReadHeader(expected.AsSpan(0, length), out _, out _, out _, out _));
        }

        Assert.Equal(OperationStatus.Done, Zmtp1Codec.ReadHeader(expected, out var headerSize, out var bodySize, out var readMore, out _));
        Assert.Equal(expected.Length, headerSize);
        Assert.Equal((ulong)size, bodySize);
        Assert.Equal(more, readMore);
    }

    /// <summary>Messages as ZMTP 1.0 bytes, written here by hand from RFC 13 (not with the codec).</summary>
    private static readonly byte[] OneZeroStream =
    [
        6, 0x01, .. Ascii("multi"), // 5 bytes + flags, MORE
        1, 0x01, // empty, MORE
        5, 0x00, .. Ascii("part"), // last frame
        0xFF, 0, 0, 0, 0, 0, 0, 1, 0x2D, 0x00, .. Enumerable.Repeat((byte)'L', 300), // long form: 301 = 300 + flags
        1, 0x00, // an empty message
    ];

    [Fact]
    public void Zmtp10Stream_DecodesTheSameAtEverySplit()
    {
        var expected = Decode([OneZeroStream]);
        Assert.Equal(["multi|", "|", "part", new string('L', 300), ""], expected.Select(f => f.Text + (f.More ? "|" : "")));
        for (var split = 0; split <= OneZeroStream.Length; split++)
        {
            Assert.Equal(expected, Decode([OneZeroStream[..split], OneZeroStream[split..]]));
        }

        for (var split = 1; split < OneZeroStream.Length - 1; split += 7)
        {
            Assert.Equal(expected, Decode([OneZeroStream[..split], OneZeroStream[split..(split + 1)], OneZeroStream[(split + 1)..]]));
        }
    }

    /// <summary>Decodes as the connection does: whatever has arrived, frame by frame, waiting when a header or body is incomplete.</summary>
    private static List<(string Text, bool More)> Decode(byte[][] pieces)
    {
        var frames = new List<(string, bool)>();
        var buffer = new List<byte>();
        foreach (var piece in pieces)
        {
            buffer.AddRange(piece);
            while (true)
            {
                var data = buffer.ToArray();
                var status = Zmtp1Codec.ReadHeader(data, out var header, out var size, out var more, out var error);
                Assert.True(status != OperationStatus.InvalidData, error);
                if (status == OperationStatus.NeedMoreData || (ulong)(data.Length - header) < size)
                {
                    break;
                }

                frames.Add((Encoding.ASCII.GetString(data, header, (int)size), more));
                buffer.RemoveRange(0, header + (int)size);
            }
        }

        Assert.Empty(buffer);
        return frames;
    }

    [Fact]
    public void Zmtp3Frames_AreReframedAsZmtp10()
    {
        // What the pipe holds: ZMTP 3 data frames (RFC 37), headers written by hand.
        byte[] zmtp3 =
        [
            0x01, 5, .. Ascii("multi"),
            0x01, 0,
            0x00, 4, .. Ascii("part"),
            0x02, 0, 0, 0, 0, 0, 0, 1, 0x2C, .. Enumerable.Repeat((byte)'L', 300),
            0x00, 0,
        ];
        var destination = new byte[1024];
        Assert.Equal(OperationStatus.Done, Zmtp1Codec.TranscodeFromZmtp3(zmtp3, destination, out var consumed, out var written));
        Assert.Equal(zmtp3.Length, consumed);
        Assert.Equal(OneZeroStream, destination[..written]);
    }

    [Fact]
    public void Reframing_StopsAtAFrameThatDoesNotFit_AndResumesThere()
    {
        byte[] zmtp3 = [0x01, 3, .. Ascii("abc"), 0x00, 253, .. new byte[253]];
        var destination = new byte[20];
        Assert.Equal(OperationStatus.DestinationTooSmall, Zmtp1Codec.TranscodeFromZmtp3(zmtp3, destination, out var consumed, out var written));
        Assert.Equal(5, consumed);
        Assert.Equal([4, 0x01, .. Ascii("abc")], destination[..written]);

        // 253 bytes + flags = 254: the last short length.
        destination = new byte[300];
        Assert.Equal(OperationStatus.Done, Zmtp1Codec.TranscodeFromZmtp3(zmtp3.AsSpan(consumed), destination, out consumed, out written));
        Assert.Equal(255, consumed);
        Assert.Equal([254, 0x00, .. new byte[253]], destination[..written]);
    }

    [Fact]
    public void Reframing_RefusesSomethingThatIsNotWholeDataFrames()
    {
        var destination = new byte[100];
        Assert.Equal(OperationStatus.InvalidData, Zmtp1Codec.TranscodeFromZmtp3([0x00, 5, 1, 2], destination, out _, out _));
        Assert.Equal(OperationStatus.InvalidData, Zmtp1Codec.TranscodeFromZmtp3([0x04, 1, 0], destination, out _, out _));
    }

    [Fact]
    public void Zmtp20Header_IsZmtp3sDataFrameHeader_WithTheCommandBitReserved()
    {
        Assert.Equal(OperationStatus.Done, Zmtp2Codec.ReadHeader([0x01, 7], out var header, out var size, out var more, out _));
        Assert.Equal((2, 7ul, true), (header, size, more));
        Assert.Equal(OperationStatus.Done, Zmtp2Codec.ReadHeader([0x02, 0, 0, 0, 0, 0, 0, 1, 0], out header, out size, out more, out _));
        Assert.Equal((9, 256ul, false), (header, size, more));
        for (var length = 0; length < 9; length++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, Zmtp2Codec.ReadHeader(new byte[] { 0x02, 0, 0, 0, 0, 0, 0, 1, 0 }.AsSpan(0, length), out _, out _, out _, out _));
        }

        Assert.Equal(OperationStatus.InvalidData, Zmtp2Codec.ReadHeader([0x04, 0], out _, out _, out _, out var error));
        Assert.Contains("reserved flag bits set (0x04)", error);
    }
}
