using System.Buffers.Binary;
using System.Text;

namespace Baton.Processes.Internal;

/// <summary>
/// The header every typed Baton block (<see cref="ProcessLock"/>, <see cref="SharedValue{T}"/>,
/// <see cref="SharedArray{T}"/>) starts with, so an opener finds out at once that a name holds something else.
/// </summary>
/// <remarks>
/// Layout (little-endian): 0 magic (8 bytes, says which kind), 8 version (4), 12 element size (4), 16 length
/// (8), 24 hash of the element type's full name (8), 32 the start of that name in UTF-8 (32, for messages);
/// 64 the lock word (4), 72 the lock's generation (8), 80 and 84 a reentrant lock's owning thread and depth
/// (4 each); data from 128, aligned for any element.
/// </remarks>
internal static unsafe class SharedLayout
{
    public const int LockOffset = 64;
    public const int GenerationOffset = 72;
    public const int DataOffset = 128;
    private const int Version = 1;
    private const int TypeNameBytes = 32;

    public static readonly ulong LockMagic = Magic("BATONLCK"u8);
    public static readonly ulong RLockMagic = Magic("BATONRLK"u8);

    /// <summary>A reentrant lock's owning thread (managed thread id) and recursion count.</summary>
    public const int OwnerThreadOffset = 80;
    public const int RecursionOffset = 84;
    public static readonly ulong ValueMagic = Magic("BATONVAL"u8);
    public static readonly ulong ArrayMagic = Magic("BATONARR"u8);

    /// <summary>Writes the header of a new block (before it is published, so nobody sees it half-written).</summary>
    public static void Write(SharedMemory block, ulong magic, int elementSize, long length, string typeName)
    {
        byte* p = block.Pointer;
        *(ulong*)p = magic;
        *(int*)(p + 8) = Version;
        *(int*)(p + 12) = elementSize;
        *(long*)(p + 16) = length;
        *(ulong*)(p + 24) = Hash(typeName);
        var name = new Span<byte>(p + 32, TypeNameBytes);
        // As much of the name as fits (it is only for messages: the hash is what is checked).
        int chars = Math.Min(typeName.Length, TypeNameBytes);
        while (!Encoding.UTF8.TryGetBytes(typeName.AsSpan(0, chars), name, out _))
            chars--;
    }

    /// <summary>
    /// Checks that <paramref name="block"/> holds a <paramref name="kind"/> of <paramref name="typeName"/> and
    /// returns its length; throws <see cref="InvalidDataException"/> naming the mismatch otherwise.
    /// </summary>
    public static long Validate(SharedMemory block, ulong magic, string kind, int elementSize, string typeName)
    {
        if (block.Size < DataOffset)
            throw new InvalidDataException($"Shared memory block '{block.Name}' ({block.Size} bytes) is too small to be a {kind}.");
        byte* p = block.Pointer;
        ulong found = *(ulong*)p;
        if (found != magic)
            throw new InvalidDataException($"Shared memory block '{block.Name}' is not a {kind}: it is {KindOf(found)}.");
        if (*(int*)(p + 8) != Version)
            throw new InvalidDataException($"Shared memory block '{block.Name}' has layout version {*(int*)(p + 8)}; this Baton reads version {Version}.");
        int size = *(int*)(p + 12);
        ulong hash = *(ulong*)(p + 24);
        if (size != elementSize || hash != Hash(typeName))
        {
            string stored = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(p + 32, TypeNameBytes)).TrimEnd('\0');
            throw new InvalidDataException(
                $"Shared memory block '{block.Name}' is a {kind} of '{stored}' ({size}-byte elements), not of '{typeName}' ({elementSize}-byte elements).");
        }
        long length = *(long*)(p + 16);
        if (length < 0 || (block.Size - DataOffset) / Math.Max(elementSize, 1) < length)
            throw new InvalidDataException($"Shared memory block '{block.Name}' claims {length} elements but has room for fewer.");
        return length;
    }

    /// <summary>The name an element type is checked by.</summary>
    public static string TypeName<T>() => typeof(T).FullName ?? typeof(T).Name;

    private static string KindOf(ulong magic)
    {
        if (magic == LockMagic)
            return "a ProcessLock";
        if (magic == RLockMagic)
            return "a ProcessRLock";
        if (magic == ValueMagic)
            return "a SharedValue";
        if (magic == ArrayMagic)
            return "a SharedArray";
        return "something else (a raw SharedMemory block, or a queue)";
    }

    private static ulong Magic(ReadOnlySpan<byte> text) => BinaryPrimitives.ReadUInt64LittleEndian(text);

    /// <summary>FNV-1a over the name's UTF-16 code units: stable across processes, unlike string.GetHashCode.</summary>
    private static ulong Hash(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211;
        }
        return hash;
    }
}
