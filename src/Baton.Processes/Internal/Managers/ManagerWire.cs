using System.Buffers.Binary;
using Baton.Messages;

namespace Baton.Processes.Internal.Managers;

/// <summary>Small encodings shared by the manager's client and server.</summary>
internal static class ManagerWire
{
    public static Frame UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return new Frame(bytes);
    }

    public static Frame Int32(int value) => UInt32(unchecked((uint)value));

    public static Frame Byte(byte value) => new(new[] { value });

    public static bool TryReadUInt32(ReadOnlySpan<byte> span, out uint value)
    {
        if (span.Length != 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32LittleEndian(span);
        return true;
    }

    public static bool TryReadInt32(ReadOnlySpan<byte> span, out int value)
    {
        var ok = TryReadUInt32(span, out var raw);
        value = unchecked((int)raw);
        return ok;
    }

    /// <summary>An <see cref="Index"/> as one frame: the value and whether it counts from the end.</summary>
    public static Frame IndexFrame(Index index)
    {
        var bytes = new byte[5];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, index.Value);
        bytes[4] = index.IsFromEnd ? (byte)1 : (byte)0;
        return new Frame(bytes);
    }

    public static bool TryReadIndex(ReadOnlySpan<byte> span, out Index index)
    {
        index = default;
        if (span.Length != 5 || span[4] > 1)
        {
            return false;
        }

        var value = BinaryPrimitives.ReadInt32LittleEndian(span);
        if (value < 0)
        {
            return false;
        }

        index = new Index(value, span[4] == 1);
        return true;
    }
}
