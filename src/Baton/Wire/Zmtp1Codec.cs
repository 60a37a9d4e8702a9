using System.Buffers;
using System.Buffers.Binary;

namespace Baton.Wire;

/// <summary>
/// ZMTP 1.0 framing (RFC 13): a length that counts the flags byte and the body, in one byte, or
/// 0xFF and 8 bytes big-endian; then the flags byte (bit 0 MORE, the rest reserved); then the body.
/// </summary>
internal static class Zmtp1Codec
{
    /// <summary>0xFF, 8-byte length, flags.</summary>
    public const int MaxHeaderSize = 10;

    /// <summary>The flags byte's MORE bit.</summary>
    public const byte FlagMore = 0x01;

    /// <summary>The header's size for a body of <paramref name="size"/> bytes: lengths from 255 up take the long form.</summary>
    public static int HeaderSize(long size) => size + 1 < 0xFF ? 2 : MaxHeaderSize;

    /// <summary>Writes the header of a frame with a body of <paramref name="size"/> bytes; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, bool more, long size)
    {
        var flags = more ? FlagMore : (byte)0;
        if (size + 1 < 0xFF)
        {
            destination[0] = (byte)(size + 1);
            destination[1] = flags;
            return 2;
        }

        destination[0] = 0xFF;
        BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)size + 1);
        destination[9] = flags;
        return MaxHeaderSize;
    }

    /// <summary>Encodes one frame, header and body, into a new array (subscriptions; rare, not per message).</summary>
    public static byte[] EncodeFrame(ReadOnlySpan<byte> body, bool more)
    {
        var result = new byte[HeaderSize(body.Length) + body.Length];
        var header = WriteHeader(result, more, body.Length);
        body.CopyTo(result.AsSpan(header));
        return result;
    }

    /// <summary>Reads a frame header: its size, the body's size and MORE; NeedMoreData until whole; InvalidData with a reason.</summary>
    public static OperationStatus ReadHeader(ReadOnlySpan<byte> data, out int headerSize, out ulong bodySize, out bool more, out string? error)
    {
        headerSize = 0;
        bodySize = 0;
        more = false;
        error = null;
        if (data.IsEmpty)
        {
            return OperationStatus.NeedMoreData;
        }

        ulong length;
        int flagsAt;
        if (data[0] == 0xFF)
        {
            if (data.Length < MaxHeaderSize)
            {
                return OperationStatus.NeedMoreData;
            }

            length = BinaryPrimitives.ReadUInt64BigEndian(data[1..]);
            flagsAt = 9;
        }
        else
        {
            if (data.Length < 2)
            {
                return OperationStatus.NeedMoreData;
            }

            length = data[0];
            flagsAt = 1;
        }

        // The length counts the flags byte, so a frame is never shorter than 1.
        if (length == 0)
        {
            error = "malformed ZMTP 1.0 frame: a length of 0";
            return OperationStatus.InvalidData;
        }

        var flags = data[flagsAt];
        if ((flags & ~FlagMore) != 0)
        {
            error = $"malformed ZMTP 1.0 frame: reserved flag bits set (0x{flags:X2})";
            return OperationStatus.InvalidData;
        }

        headerSize = flagsAt + 1;
        bodySize = length - 1;
        more = (flags & FlagMore) != 0;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Re-encodes whole ZMTP 3 data frames (as the pipe encodes messages on the sender's thread) into
    /// ZMTP 1.0 framing, as many as fit in <paramref name="destination"/>. Done when all of
    /// <paramref name="source"/> was taken, DestinationTooSmall when the next frame does not fit,
    /// InvalidData when the source is not a run of whole data frames.
    /// </summary>
    public static OperationStatus TranscodeFromZmtp3(ReadOnlySpan<byte> source, Span<byte> destination, out int consumed, out int written)
    {
        consumed = 0;
        written = 0;
        while (consumed < source.Length)
        {
            var rest = source[consumed..];
            if (Zmtp2Codec.ReadHeader(rest, out var header, out var size, out var more, out _) != OperationStatus.Done
                || (ulong)(rest.Length - header) < size)
            {
                return OperationStatus.InvalidData;
            }

            var body = rest.Slice(header, (int)size);
            if (destination.Length - written < HeaderSize(body.Length) + body.Length)
            {
                return OperationStatus.DestinationTooSmall;
            }

            written += WriteHeader(destination[written..], more, body.Length);
            body.CopyTo(destination[written..]);
            written += body.Length;
            consumed += header + body.Length;
        }

        return OperationStatus.Done;
    }
}
