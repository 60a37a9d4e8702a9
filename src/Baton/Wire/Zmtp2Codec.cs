using System.Buffers;
using System.Buffers.Binary;

namespace Baton.Wire;

/// <summary>
/// ZMTP 2.0 frame headers (RFC 15 section 2.3): a flags byte (bit 0 MORE, bit 1 LONG, the rest
/// reserved), then a 1-byte or 8-byte size. A data frame is byte for byte a ZMTP 3 one, so messages
/// are encoded by <see cref="FrameEncoder.WriteHeader"/>; 2.0 has no commands.
/// </summary>
internal static class Zmtp2Codec
{
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

        var flags = data[0];
        if ((flags & ~(Zmtp.FlagMore | Zmtp.FlagLong)) != 0)
        {
            error = $"malformed ZMTP 2.0 frame: reserved flag bits set (0x{flags:X2})";
            return OperationStatus.InvalidData;
        }

        var isLong = (flags & Zmtp.FlagLong) != 0;
        var size = isLong ? 9 : 2;
        if (data.Length < size)
        {
            return OperationStatus.NeedMoreData;
        }

        headerSize = size;
        bodySize = isLong ? BinaryPrimitives.ReadUInt64BigEndian(data[1..]) : data[1];
        more = (flags & Zmtp.FlagMore) != 0;
        return OperationStatus.Done;
    }
}
