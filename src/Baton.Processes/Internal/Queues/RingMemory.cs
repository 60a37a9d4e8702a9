using System.IO.MemoryMappedFiles;

namespace Baton.Processes.Internal.Queues;

/// <summary>The shared memory a queue or pipe lives in, found by name from any process on this machine.</summary>
internal sealed unsafe class RingMemory : IDisposable
{
    // Stand-in until Baton.Processes' SharedMemory lands: a file in /dev/shm, removed by its creator.
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly string _path;
    private readonly bool _owner;
    private int _disposed;

    private RingMemory(string name, string path, long length, bool create)
    {
        Name = name;
        _path = path;
        _owner = create;
        if (create)
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite);
            stream.SetLength(length);
        }
        else
        {
            length = new FileInfo(path).Length;
        }

        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, length, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, length);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer;
        Length = length;
    }

    /// <summary>The name another process opens it by.</summary>
    public string Name { get; }

    /// <summary>The start of the mapping.</summary>
    public byte* Pointer { get; }

    /// <summary>Bytes mapped.</summary>
    public long Length { get; }

    /// <summary>Creates zeroed shared memory of <paramref name="length"/> bytes under a fresh name.</summary>
    public static RingMemory Create(long length)
    {
        var name = "q" + Guid.NewGuid().ToString("N")[..16];
        return new RingMemory(name, PathOf(name), length, create: true);
    }

    /// <summary>Opens shared memory another process created.</summary>
    /// <exception cref="FileNotFoundException">No shared memory has that name (any more).</exception>
    public static RingMemory Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/') || name.Contains('\0'))
            throw new ArgumentException($"'{name}' is not a shared-memory name.", nameof(name));
        var path = PathOf(name);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No shared memory named '{name}' exists on this machine: its last owner closed it, or it was created elsewhere.", path);
        return new RingMemory(name, path, 0, create: false);
    }

    private static string PathOf(string name) => Path.Combine("/dev/shm", "baton." + name);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        if (_owner)
            File.Delete(_path);
    }
}
