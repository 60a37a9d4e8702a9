using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Baton.Messages;

namespace Baton.Wire;

/// <summary>Writes ZMTP frames (RFC 37 "Framing") into spans: headers, whole frames, whole messages.</summary>
internal static class FrameEncoder
{
    /// <summary>Header bytes a frame of <paramref name="size"/> bytes takes: 2 short, 9 long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int HeaderSize(long size) => size > Zmtp.MaxShortSize ? Zmtp.MaxHeaderSize : 2;

    /// <summary>Writes a frame header and returns its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteHeader(Span<byte> destination, byte flags, long size)
    {
        if (size > Zmtp.MaxShortSize)
        {
            destination[0] = (byte)(flags | Zmtp.FlagLong);
            BinaryPrimitives.WriteUInt64BigEndian(destination[1..], (ulong)size);
            return Zmtp.MaxHeaderSize;
        }

        destination[0] = flags;
        destination[1] = (byte)size;
        return 2;
    }

    /// <summary>Writes header and body of one frame; returns the bytes written.</summary>
    public static int WriteFrame(Span<byte> destination, byte flags, ReadOnlySpan<byte> body)
    {
        var header = WriteHeader(destination, flags, body.Length);
        body.CopyTo(destination[header..]);
        return header + body.Length;
    }

    /// <summary>A whole frame as a new array (commands and other rare frames).</summary>
    public static byte[] EncodeFrame(byte flags, ReadOnlySpan<byte> body)
    {
        var encoded = new byte[HeaderSize(body.Length) + body.Length];
        WriteFrame(encoded, flags, body);
        return encoded;
    }

    /// <summary>Bytes <paramref name="message"/> takes on the wire, or -1 when a frame is over <paramref name="frameLimit"/> (such frames go by reference).</summary>
    public static int MessageSize(MessageBody message, int frameLimit)
    {
        var count = message.FrameCount;
        var size = 0;
        for (var i = 0; i < count; i++)
        {
            var length = message.FrameAt(i).Length;
            if (length > frameLimit)
            {
                return -1;
            }

            size += HeaderSize(length) + length;
        }

        return size;
    }

    /// <summary>Writes every frame of <paramref name="message"/>, MORE on all but the last; returns the bytes written.</summary>
    public static int WriteMessage(Span<byte> destination, MessageBody message)
    {
        var used = 0;
        var count = message.FrameCount;
        for (var i = 0; i < count; i++)
        {
            var frame = message.FrameAt(i);
            used += WriteFrame(destination[used..], i < count - 1 ? Zmtp.FlagMore : (byte)0, frame.Span);
        }

        return used;
    }
}
