namespace Baton.Processes.Internal.Queues;

/// <summary>
/// The shared memory a queue or pipe lives in: a <see cref="SharedMemory"/> block (a file in /dev/shm,
/// removed when its last owner closes it or dies), found by name from any process on this machine.
/// </summary>
internal sealed unsafe class RingMemory : IDisposable
{
    private readonly SharedMemory _block;

    private RingMemory(SharedMemory block)
    {
        _block = block;
        Pointer = block.Pointer;
    }

    /// <summary>The name another process opens it by.</summary>
    public string Name => _block.Name;

    /// <summary>The start of the mapping.</summary>
    public byte* Pointer { get; }

    /// <summary>Bytes mapped.</summary>
    public long Length => _block.Size;

    /// <summary>Creates shared memory of <paramref name="length"/> bytes under a fresh name, initialized before anyone can open it.</summary>
    public static RingMemory Create(long length, Action<SharedMemory> initialize) => new(SharedMemory.Create(null, length, initialize));

    /// <summary>Opens shared memory another process created.</summary>
    /// <exception cref="FileNotFoundException">No shared memory has that name (any more).</exception>
    public static RingMemory Open(string name) => new(SharedMemory.Open(name));

    /// <inheritdoc/>
    public void Dispose() => _block.Dispose();
}
