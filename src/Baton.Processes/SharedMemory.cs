using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Baton.Processes.Internal;
using MessagePack;
using Microsoft.Win32.SafeHandles;
using static Baton.Processes.Internal.NativeSharedMemory;

namespace Baton.Processes;

/// <summary>
/// A named block of memory shared between processes on one machine: the file <c>/dev/shm/baton.&lt;name&gt;</c>,
/// mapped into each process that creates or opens it. The block lives while any owner (a process holding a
/// <see cref="SharedMemory"/> on it) has it open; when the last owner disposes it or dies, the file is removed.
/// </summary>
/// <remarks>
/// <para>Protocol (all advisory locks are flock(2) on the process's own open file description):</para>
/// <list type="bullet">
/// <item>Every owner holds a shared lock (LOCK_SH) for as long as it has the block open; the kernel drops it
/// when the owner dies, even by kill -9.</item>
/// <item>A creator builds the file unnamed (O_TMPFILE), locks it, sizes it and initializes it, and only then
/// gives it its name with linkat(2), which fails if the name exists: nobody ever sees a half-made block.</item>
/// <item>A name is removed (unlink) only by a process holding an exclusive lock (LOCK_EX) on that very file,
/// after checking that the name still refers to it. An exclusive lock is granted only when no owner is left,
/// so a live block is never removed, and a block whose owners all died is removed by the next one to look.</item>
/// <item>Dispose converts the owner's lock to LOCK_EX|LOCK_NB: the last owner to close gets it and unlinks.</item>
/// <item>An opener takes LOCK_SH and then checks that the name still refers to the file it opened; when it
/// raced with the last closer it retries, and finds either a new block of that name or none.</item>
/// </list>
/// <para>The descriptors are opened with libc's open(2) rather than <see cref="FileStream"/>: on Unix .NET takes
/// flock locks of its own to emulate <see cref="FileShare"/>, which would otherwise mix into this protocol.</para>
/// <para>A <see cref="SharedMemory"/> passed as an argument to a child process travels by name (MessagePack) and
/// the child opens it, becoming an owner until it disposes it.</para>
/// </remarks>
[MessagePackFormatter(typeof(SharedMemoryFormatter))]
public sealed unsafe class SharedMemory : IDisposable
{
    /// <summary>The longest name accepted (the file name adds the prefix <c>baton.</c>).</summary>
    public const int MaxNameLength = 200;

    /// <summary>Where blocks live.</summary>
    internal const string Folder = "/dev/shm";

    /// <summary>The file name prefix of every Baton block; the janitor looks only at these.</summary>
    internal const string FilePrefix = "baton.";

    private static int s_janitorRan;

    private readonly SafeFileHandle _file;
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;
    private bool _published;
    private int _disposed;

    private SharedMemory(string name, string path, SafeFileHandle file, long size)
    {
        Name = name;
        FilePath = path;
        Size = size;
        _file = file;
        _map = MemoryMappedFile.CreateFromFile(file, mapName: null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        try
        {
            _view = _map.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _pointer = pointer + _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _map.Dispose();
            throw;
        }
    }

    /// <summary>The block's name, as given to <see cref="Open"/> in other processes.</summary>
    public string Name { get; }

    /// <summary>The block's size in bytes.</summary>
    public long Size { get; }

    /// <summary>The file behind the block.</summary>
    internal string FilePath { get; }

    /// <summary>
    /// The first byte of this process's mapping; valid until <see cref="Dispose"/>. Keep this object reachable
    /// while using it.
    /// </summary>
    internal byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _pointer;
        }
    }

    /// <summary>The whole block as a span; only for blocks of at most <see cref="int.MaxValue"/> bytes.</summary>
    /// <exception cref="InvalidOperationException">The block is larger than a span can cover.</exception>
    public Span<byte> Span
    {
        get
        {
            if (Size > int.MaxValue)
                throw new InvalidOperationException($"Shared memory block '{Name}' is {Size} bytes, more than a span can cover; use GetSpan(offset, length).");
            return GetSpan(0, (int)Size);
        }
    }

    /// <summary>
    /// <paramref name="length"/> bytes of the block from <paramref name="offset"/>. The span reads and writes
    /// the shared memory directly; it must not be used after <see cref="Dispose"/>.
    /// </summary>
    public Span<byte> GetSpan(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (offset < 0 || length < 0 || offset > Size - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"The range [{offset}, {offset}+{length}) is outside shared memory block '{Name}' of {Size} bytes.");
        return new Span<byte>(_pointer + offset, length);
    }

    /// <summary>
    /// Creates a new block of <paramref name="size"/> zeroed bytes. A null <paramref name="name"/> generates
    /// a unique one (read it back from <see cref="Name"/>). A file of that name left by owners that all died
    /// is taken over.
    /// </summary>
    /// <exception cref="ArgumentException">The name has characters other than letters, digits, '-', '_' and '.', or is too long.</exception>
    /// <exception cref="SharedMemoryExistsException">A live block already has that name.</exception>
    public static SharedMemory Create(string? name, long size) => Create(name, size, initialize: null);

    /// <summary>
    /// Creates a block and runs <paramref name="initialize"/> on it before any other process can open it
    /// (headers of shared values and rings).
    /// </summary>
    internal static SharedMemory Create(string? name, long size, Action<SharedMemory>? initialize)
    {
        EnsureSupported();
        name ??= GenerateName();
        ValidateName(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        RemoveStaleOnce();

        string path = PathOf(name);
        EnsureRoom(name, size);
        int fd = NativeSharedMemory.Open(Folder, O_TMPFILE | O_RDWR | O_CLOEXEC, 0b110_000_000);
        if (fd < 0)
            throw IoError($"Cannot create an unnamed file in {Folder} for shared memory block '{name}'", Marshal.GetLastPInvokeError());
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        SharedMemory? block = null;
        try
        {
            // Locked before it has a name: from the moment others can see it, it is visibly owned.
            if (FlockRetrying(fd, LOCK_SH) != 0)
                throw IoError($"Cannot lock shared memory block '{name}'", Marshal.GetLastPInvokeError());
            if (Ftruncate(fd, size) != 0)
                throw IoError($"Cannot size shared memory block '{name}' to {size} bytes", Marshal.GetLastPInvokeError());
            // Reserve the pages now: on a full tmpfs a write to a sparse page kills the process with SIGBUS,
            // where this fails here with an exception.
            if (Fallocate(fd, 0, 0, size) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == ENOSPC)
                    throw NoRoom(name, size);
                if (errno != EOPNOTSUPP)
                    throw IoError($"Cannot reserve {size} bytes for shared memory block '{name}'", errno);
            }
            block = new SharedMemory(name, path, handle, size);
            initialize?.Invoke(block);
            Publish(fd, name, path);
            block._published = true;
            return block;
        }
        catch
        {
            if (block is not null)
                block.Dispose();
            else
                handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens the live block named <paramref name="name"/>; this process becomes one of its owners.</summary>
    /// <exception cref="ArgumentException">The name is not a valid block name.</exception>
    /// <exception cref="FileNotFoundException">No block of that name exists (any more).</exception>
    public static SharedMemory Open(string name)
    {
        EnsureSupported();
        ValidateName(name);
        string path = PathOf(name);
        for (int attempt = 0; ; attempt++)
        {
            int fd = NativeSharedMemory.Open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == ENOENT)
                    throw new FileNotFoundException($"No shared memory block named '{name}' exists ({path} not found): its last owner closed it, or it was never created.", path);
                throw IoError($"Cannot open shared memory block '{name}'", errno);
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            try
            {
                // Blocks only while a closer or the janitor holds LOCK_EX, which they do briefly.
                if (FlockRetrying(fd, LOCK_SH) != 0)
                    throw IoError($"Cannot lock shared memory block '{name}'", Marshal.GetLastPInvokeError());
                // Under our LOCK_SH the name cannot be removed; make sure it was not removed or replaced before.
                if (TryIdentify(fd, null, out FileIdentity mine) && TryIdentify(-1, path, out FileIdentity named) && mine.SameFile(named))
                {
                    if (mine.Size <= 0)
                        throw new InvalidDataException($"Shared memory file {path} is empty: it was not made by Baton's SharedMemory.");
                    var block = new SharedMemory(name, path, handle, mine.Size) { _published = true };
                    return block;
                }
            }
            catch
            {
                handle.Dispose();
                throw;
            }
            handle.Dispose();
            if (attempt >= 100)
                throw new IOException($"Shared memory block '{name}' kept being replaced while opening it.");
        }
    }

    /// <summary>
    /// Removes the files of Baton blocks in /dev/shm that no running process holds (their owners died
    /// without closing, e.g. killed with kill -9). Runs by itself once per process, at the first
    /// <see cref="Create(string?, long)"/>. Returns how many files it removed.
    /// </summary>
    public static int RemoveStale()
    {
        EnsureSupported();
        int removed = 0;
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(Folder, FilePrefix + "*");
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
        foreach (string path in files)
        {
            try
            {
                if (TryRemoveUnheld(path) == Removal.Removed)
                    removed++;
            }
            catch (IOException)
            {
                // Another user's file, or one that vanished: not ours to judge.
            }
        }
        return removed;
    }

    /// <summary>
    /// Unmaps the block and gives up this process's ownership; the last owner to dispose removes the file.
    /// Spans obtained from this object must not be used afterwards.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        int fd = (int)_file.DangerousGetHandle();
        // Converting LOCK_SH to LOCK_EX drops ours first (flock(2)), so of several owners closing at once one
        // always gets it; a failed conversion leaves us unlocked, which is what closing means anyway.
        if (_published && Flock(fd, LOCK_EX | LOCK_NB) == 0
            && TryIdentify(fd, null, out FileIdentity mine) && TryIdentify(-1, FilePath, out FileIdentity named) && mine.SameFile(named))
            Unlink(FilePath);
        _file.Dispose();
    }

    /// <summary>
    /// True when the block's name still refers to this mapping's file: always, while this process owns it
    /// (a name is only removed under an exclusive lock, which our shared one excludes). For tests and diagnostics.
    /// </summary>
    internal bool IsNamed()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return TryIdentify((int)_file.DangerousGetHandle(), null, out FileIdentity mine)
            && TryIdentify(-1, FilePath, out FileIdentity named) && mine.SameFile(named) && mine.Links > 0;
    }

    /// <inheritdoc />
    public override string ToString() => $"SharedMemory '{Name}' ({Size} bytes)";

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is a valid block name.</summary>
    internal static void ValidateName(string name, string parameterName = "name")
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        if (name.Length == 0 || name.Length > MaxNameLength)
            throw new ArgumentException($"A shared memory name must have 1 to {MaxNameLength} characters; '{name}' has {name.Length}.", parameterName);
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_' && c != '.')
                throw new ArgumentException($"Shared memory name '{name}' has the character '{c}'; use only ASCII letters, digits, '-', '_' and '.'.", parameterName);
        }
    }

    /// <summary>The file of the block named <paramref name="name"/>.</summary>
    internal static string PathOf(string name) => Folder + "/" + FilePrefix + name;

    /// <summary>A name no other process will generate: our pid and 64 random bits.</summary>
    internal static string GenerateName()
    {
        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        return $"{Environment.ProcessId}-{Convert.ToHexStringLower(random)}";
    }

    /// <summary>
    /// Refuses at once a block larger than the room left in /dev/shm, rather than letting fallocate fill the
    /// whole file system first.
    /// </summary>
    private static void EnsureRoom(string name, long size)
    {
        long available;
        try
        {
            available = new DriveInfo(Folder).AvailableFreeSpace;
        }
        catch (IOException)
        {
            return; // unknown: fallocate will tell
        }
        if (size > available)
            throw NoRoom(name, size);
    }

    private static IOException NoRoom(string name, long size) =>
        new($"{Folder} has no room for shared memory block '{name}' of {size} bytes. Free space there, use a smaller block, or give the container more (docker run --shm-size).");

    private static void RemoveStaleOnce()
    {
        if (Interlocked.Exchange(ref s_janitorRan, 1) == 0)
            RemoveStale();
    }

    private static void Publish(int fd, string name, string path)
    {
        string self = $"/proc/self/fd/{fd}";
        for (int attempt = 0; attempt < 100; attempt++)
        {
            if (Linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
                return;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EEXIST)
                throw IoError($"Cannot name shared memory block '{name}' ({path})", errno);
            if (TryRemoveUnheld(path) == Removal.Held)
                throw new SharedMemoryExistsException(name);
            // Removed as stale, or gone meanwhile: the name is free again.
        }
        throw new IOException($"Shared memory name '{name}' kept being taken while creating it.");
    }

    private enum Removal
    {
        Removed,
        Held,
        Missing,
    }

    /// <summary>Unlinks <paramref name="path"/> when no process holds the file it names.</summary>
    private static Removal TryRemoveUnheld(string path)
    {
        int fd = NativeSharedMemory.Open(path, O_CLOEXEC | O_NOFOLLOW, 0); // O_RDONLY: flock needs no write access
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT)
                return Removal.Missing;
            throw IoError($"Cannot open {path}", errno);
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Flock(fd, LOCK_EX | LOCK_NB) != 0)
            return Removal.Held;
        // Only a holder of LOCK_EX on a file removes its name, so while we hold it the name cannot change
        // from this file to another; check it still names this one (not a newer block).
        if (TryIdentify(fd, null, out FileIdentity mine) && TryIdentify(-1, path, out FileIdentity named) && mine.SameFile(named)
            && Unlink(path) == 0)
            return Removal.Removed;
        return Removal.Missing;
    }

    private static IOException IoError(string what, int errno) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
}
