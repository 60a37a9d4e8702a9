using System.Buffers.Binary;
using System.Text;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// Strings in MessagePack's own format (nil, fixstr, str8, str16, str32), written straight into a ring
/// record of the exact size and read straight from it: the bytes are what MessagePackSerializer writes,
/// without its per-call overhead or an intermediate buffer. The commonest message deserves it.
/// </summary>
internal static class MessagePackStrings
{
    public static int SizeOf(string? value)
    {
        if (value is null)
            return 1;
        var bytes = Encoding.UTF8.GetByteCount(value);
        return HeaderSize(bytes) + bytes;
    }

    private static int HeaderSize(int bytes) => bytes switch
    {
        < 32 => 1,
        <= byte.MaxValue => 2,
        <= ushort.MaxValue => 3,
        _ => 5,
    };

    public static void Write(string? value, Span<byte> destination)
    {
        if (value is null)
        {
            destination[0] = 0xc0;
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(value);
        int header;
        switch (bytes)
        {
            case < 32:
                destination[0] = (byte)(0xa0 | bytes);
                header = 1;
                break;
            case <= byte.MaxValue:
                destination[0] = 0xd9;
                destination[1] = (byte)bytes;
                header = 2;
                break;
            case <= ushort.MaxValue:
                destination[0] = 0xda;
                BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)bytes);
                header = 3;
                break;
            default:
                destination[0] = 0xdb;
                BinaryPrimitives.WriteUInt32BigEndian(destination[1..], (uint)bytes);
                header = 5;
                break;
        }

        Encoding.UTF8.GetBytes(value, destination[header..]);
    }

    /// <summary>Reads a string or nil; false when the bytes hold something else (let MessagePack say what).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out string? value)
    {
        value = null;
        if (source.IsEmpty)
            return false;
        var code = source[0];
        int header;
        int bytes;
        switch (code)
        {
            case 0xc0:
                return source.Length == 1;
            case >= 0xa0 and <= 0xbf:
                header = 1;
                bytes = code & 0x1f;
                break;
            case 0xd9 when source.Length >= 2:
                header = 2;
                bytes = source[1];
                break;
            case 0xda when source.Length >= 3:
                header = 3;
                bytes = BinaryPrimitives.ReadUInt16BigEndian(source[1..]);
                break;
            case 0xdb when source.Length >= 5:
                header = 5;
                bytes = (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(source[1..]));
                break;
            default:
                return false;
        }

        if (source.Length != header + bytes)
            return false;
        value = Encoding.UTF8.GetString(source.Slice(header, bytes));
        return true;
    }
}
