using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MessagePack;

namespace Baton.Processes.Internal;

/// <summary>
/// How a chunk's items or results travel. Arrays of primitive numbers (int, long, double, bool, char...)
/// go as their raw little-endian bytes, one copy each way: the Map family's trivial-task speed. Anything
/// else goes through MessagePack with Baton.Processes' options. Both ends know the element type (the
/// method's parameter or return type), so no marker is needed.
/// </summary>
internal static class ChunkCodec<T>
{
    // Native-sized integers differ between machines; every other primitive has one size everywhere.
    private static readonly bool Raw = typeof(T).IsPrimitive && typeof(T) != typeof(nint) && typeof(T) != typeof(nuint) && BitConverter.IsLittleEndian;

    public static byte[] Serialize(ReadOnlySpan<T> items)
    {
        if (!Raw)
            return MessagePackSerializer.Serialize(items.ToArray(), Serialization.Options);
        if (items.IsEmpty)
            return [];
        var bytes = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(items)), checked(items.Length * Unsafe.SizeOf<T>()));
        return bytes.ToArray();
    }

    public static T[] Deserialize(byte[] bytes)
    {
        if (!Raw)
            return MessagePackSerializer.Deserialize<T[]>(bytes, Serialization.Options);
        if (bytes.Length % Unsafe.SizeOf<T>() != 0)
            throw new InvalidDataException($"A chunk of {Serialization.TypeName(typeof(T))} values is {bytes.Length} bytes long, not a multiple of {Unsafe.SizeOf<T>()}.");
        var result = new T[bytes.Length / Unsafe.SizeOf<T>()];
        if (bytes.Length > 0)
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(result)), ref bytes[0], (uint)bytes.Length);
        return result;
    }
}
