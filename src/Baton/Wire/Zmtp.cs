using System.Buffers.Binary;
using System.Text;

namespace Baton.Wire;

/// <summary>ZMTP 3.x constants and small encoders (https://rfc.zeromq.org/spec/37/).</summary>
internal static class Zmtp
{
    public const int GreetingSize = 64;
    public const byte FlagMore = 0x01;
    public const byte FlagLong = 0x02;
    public const byte FlagCommand = 0x04;

    /// <summary>Largest header: flags byte and 8-byte size.</summary>
    public const int MaxHeaderSize = 9;

    public static ReadOnlySpan<byte> Ready => "READY"u8;
    public static ReadOnlySpan<byte> Error => "ERROR"u8;
    public static ReadOnlySpan<byte> Subscribe => "SUBSCRIBE"u8;
    public static ReadOnlySpan<byte> Cancel => "CANCEL"u8;
    public static ReadOnlySpan<byte> Ping => "PING"u8;
    public static ReadOnlySpan<byte> Pong => "PONG"u8;

    /// <summary>Writes our greeting: ZMTP 3.1, the given mechanism, as-server flag.</summary>
    public static void WriteGreeting(Span<byte> destination, string mechanism, bool asServer)
    {
        destination[..GreetingSize].Clear();
        destination[0] = 0xFF;
        destination[9] = 0x7F;
        destination[10] = 3;
        destination[11] = 1;
        Encoding.ASCII.GetBytes(mechanism, destination.Slice(12, 20));
        destination[32] = asServer ? (byte)1 : (byte)0;
    }

    /// <summary>Writes a frame header and returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, byte flags, long size)
    {
        if (size > 255)
        {
            destination[0] = (byte)(flags | FlagLong);
            BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)size);
            return 9;
        }

        destination[0] = flags;
        destination[1] = (byte)size;
        return 2;
    }

    /// <summary>Encodes a whole command frame: header, name length, name, data.</summary>
    public static byte[] EncodeCommand(ReadOnlySpan<byte> name, ReadOnlySpan<byte> data)
    {
        var bodyLength = 1 + name.Length + data.Length;
        var buffer = new byte[MaxHeaderSize + bodyLength];
        var header = WriteHeader(buffer, FlagCommand, bodyLength);
        buffer[header] = (byte)name.Length;
        name.CopyTo(buffer.AsSpan(header + 1));
        data.CopyTo(buffer.AsSpan(header + 1 + name.Length));
        return buffer.AsSpan(0, header + bodyLength).ToArray();
    }

    /// <summary>Encodes the READY command with the given metadata.</summary>
    public static byte[] EncodeReady(string socketType, ReadOnlySpan<byte> identity)
    {
        var metadata = new MetadataWriter();
        metadata.Add("Socket-Type", Encoding.ASCII.GetBytes(socketType));
        if (!identity.IsEmpty)
        {
            metadata.Add("Identity", identity);
        }

        return EncodeCommand(Ready, metadata.ToArray());
    }

    /// <summary>Encodes an ERROR command with a reason of at most 255 bytes.</summary>
    public static byte[] EncodeError(string reason)
    {
        var text = Encoding.ASCII.GetBytes(reason.Length > 255 ? reason[..255] : reason);
        var data = new byte[1 + text.Length];
        data[0] = (byte)text.Length;
        text.CopyTo(data, 1);
        return EncodeCommand(Error, data);
    }

    /// <summary>Encodes PING with a TTL in deciseconds and an optional context.</summary>
    public static byte[] EncodePing(TimeSpan ttl, ReadOnlySpan<byte> context)
    {
        var data = new byte[2 + context.Length];
        var deciseconds = Math.Clamp((long)(ttl.TotalMilliseconds / 100), 0, ushort.MaxValue);
        BinaryPrimitives.WriteUInt16BigEndian(data, (ushort)deciseconds);
        context.CopyTo(data.AsSpan(2));
        return EncodeCommand(Ping, data);
    }

    /// <summary>Encodes PONG echoing the PING's context.</summary>
    public static byte[] EncodePong(ReadOnlySpan<byte> context) => EncodeCommand(Pong, context);
}
