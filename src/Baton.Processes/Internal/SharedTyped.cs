using System.Runtime.CompilerServices;

namespace Baton.Processes.Internal;

/// <summary>Creates and opens the blocks behind <see cref="SharedValue{T}"/> and <see cref="SharedArray{T}"/>.</summary>
internal static unsafe class SharedTyped
{
    /// <summary>
    /// A new block of <paramref name="length"/> elements, header written and <paramref name="initialize"/> run
    /// before any other process can open it. The returned lock owns the memory.
    /// </summary>
    public static ProcessLock Create<T>(string? name, ulong magic, int length, Action<Span<T>>? initialize) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long size = SharedLayout.DataOffset + (long)length * Unsafe.SizeOf<T>();
        var memory = SharedMemory.Create(name, size, block =>
        {
            SharedLayout.Write(block, magic, Unsafe.SizeOf<T>(), length, SharedLayout.TypeName<T>());
            initialize?.Invoke(new Span<T>(block.Pointer + SharedLayout.DataOffset, length));
        });
        return new ProcessLock(memory, memory.Name, ownedByContainer: true);
    }

    /// <summary>Opens a block, checking kind and element type; returns its lock (owning the memory) and length.</summary>
    public static ProcessLock Open<T>(string name, ulong magic, string kind, out int length) where T : unmanaged
    {
        var memory = SharedMemory.Open(name);
        try
        {
            long found = SharedLayout.Validate(memory, magic, kind, Unsafe.SizeOf<T>(), SharedLayout.TypeName<T>());
            if (found > int.MaxValue)
                throw new InvalidDataException($"Shared memory block '{name}' claims {found} elements, more than a {kind} holds.");
            length = (int)found;
            return new ProcessLock(memory, name, ownedByContainer: true);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>The first element of the block a lock lives in.</summary>
    public static T* Data<T>(ProcessLock owner) where T : unmanaged => (T*)(owner.Memory.Pointer + SharedLayout.DataOffset);
}
