using System.Buffers.Binary;
using System.Text;

namespace Baton.Wire;

/// <summary>
/// Encodes and parses ZMTP command bodies (RFC 37 "Commands"): a name length, the name, then data.
/// Bodies are returned without a frame header; <see cref="FrameEncoder"/> or a mechanism frames them.
/// </summary>
internal static class Commands
{
    public static ReadOnlySpan<byte> Ready => "READY"u8;
    public static ReadOnlySpan<byte> Error => "ERROR"u8;
    public static ReadOnlySpan<byte> Subscribe => "SUBSCRIBE"u8;
    public static ReadOnlySpan<byte> Cancel => "CANCEL"u8;
    public static ReadOnlySpan<byte> Ping => "PING"u8;
    public static ReadOnlySpan<byte> Pong => "PONG"u8;

    /// <summary>Splits a command body into name and data; throws when the name runs past the body.</summary>
    public static CommandName Parse(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> data)
    {
        if (body.IsEmpty || body.Length < 1 + body[0])
        {
            throw new PeerException("malformed command frame");
        }

        name = body.Slice(1, body[0]);
        data = body[(1 + body[0])..];
        return Identify(name);
    }

    private static CommandName Identify(ReadOnlySpan<byte> name)
    {
        // Names are case-sensitive (RFC 37); the common ones are tested first.
        if (name.SequenceEqual(Ping)) return CommandName.Ping;
        if (name.SequenceEqual(Pong)) return CommandName.Pong;
        if (name.SequenceEqual(Subscribe)) return CommandName.Subscribe;
        if (name.SequenceEqual(Cancel)) return CommandName.Cancel;
        if (name.SequenceEqual(Ready)) return CommandName.Ready;
        if (name.SequenceEqual(Error)) return CommandName.Error;
        return CommandName.Unknown;
    }

    /// <summary>A command body: name length, name, data.</summary>
    public static byte[] Body(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        var body = new byte[1 + name.Length + data.Length];
        body[0] = (byte)name.Length;
        name.CopyTo(body.AsSpan(1));
        data.CopyTo(body.AsSpan(1 + name.Length));
        return body;
    }

    /// <summary>A whole command frame: header and body.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
        => FrameEncoder.EncodeFrame(Zmtp.FlagCommand, Body(name, data));

    /// <summary>READY's data: Socket-Type and, if any, Identity (RFC 37 "The NULL Security Mechanism").</summary>
    public static byte[] ReadyMetadata(string socketType, ReadOnlySpan<byte> identity)
    {
        var metadata = new MetadataWriter();
        metadata.Add("Socket-Type", Encoding.ASCII.GetBytes(socketType));
        if (!identity.IsEmpty)
        {
            metadata.Add("Identity", identity);
        }

        return metadata.ToArray();
    }

    /// <summary>ERROR's body, with a reason cut to 255 bytes.</summary>
    public static byte[] ErrorBody(string reason)
    {
        var text = Encoding.ASCII.GetBytes(reason.Length > 255 ? reason[..255] : reason);
        var data = new byte[1 + text.Length];
        data[0] = (byte)text.Length;
        text.CopyTo(data, 1);
        return Body(Error, data);
    }

    /// <summary>The reason an ERROR command carries, as <see cref="Printable"/> text: it goes into a log.</summary>
    public static string ErrorReason(ReadOnlySpan<byte> data)
        => data.Length >= 1 && data.Length >= 1 + data[0] ? Printable(data.Slice(1, data[0])) : "(no reason)";

    /// <summary>
    /// A peer's bytes (a command name, an ERROR reason, a user name) for a log line: printable ASCII as it is,
    /// anything else as '?', so that a peer cannot forge log lines (a newline) or smuggle terminal escapes.
    /// </summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '?');
        }

        return text.ToString();
    }

    /// <summary>PING's body: a TTL in deciseconds and an optional context (RFC 37 "Connection Heartbeating").</summary>
    public static byte[] PingBody(TimeSpan ttl, ReadOnlySpan<byte> context)
    {
        var data = new byte[2 + context.Length];
        var deciseconds = Math.Clamp((long)(ttl.TotalMilliseconds / 100), 0, ushort.MaxValue);
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)deciseconds);
        context.CopyTo(data.AsSpan(2));
        return Body(Ping, data);
    }

    /// <summary>Parses PING's data: the TTL in milliseconds and the context (at most 16 bytes).</summary>
    public static int ParsePing(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> context)
    {
        if (data.Length < 2 || data.Length > 18)
        {
            throw new PeerException("malformed PING command");
        }

        context = data[2..];
        return BinaryPrimitives.ReadUInt16BigEndian(data) * 100;
    }

    /// <summary>PONG's body, echoing the PING's context.</summary>
    public static byte[] PongBody(ReadOnlySpan<byte> context) => Body(Pong, context);
}
