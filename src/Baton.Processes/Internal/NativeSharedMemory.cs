using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>
/// The libc calls behind <see cref="SharedMemory"/>, <see cref="Futex"/> and <see cref="ProcessLiveness"/>
/// (64-bit Linux only). Values that differ between x86_64 and arm64 are chosen at run time.
/// </summary>
internal static unsafe partial class NativeSharedMemory
{
    private const string Libc = "libc";

    // errno values (identical on x86_64 and arm64).
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EEXIST = 17;
    public const int ENOSPC = 28;
    public const int EOPNOTSUPP = 95;
    public const int ETIMEDOUT = 110;

    public const int O_RDWR = 0x2;
    public const int O_CLOEXEC = 0x80000;
    private const int TmpFileBit = 0x400000;

    /// <summary>O_NOFOLLOW: 0400000 on x86_64, 0100000 on arm64 (asm-generic).</summary>
    public static int O_NOFOLLOW => IsArm64 ? 0x8000 : 0x20000;

    /// <summary>O_TMPFILE = __O_TMPFILE | O_DIRECTORY, where O_DIRECTORY differs between architectures.</summary>
    public static int O_TMPFILE => TmpFileBit | (IsArm64 ? 0x4000 : 0x10000);

    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_FOLLOW = 0x400;
    public const int AT_EMPTY_PATH = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    private static bool IsArm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> off 64-bit Linux.</summary>
    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux()
            || (RuntimeInformation.ProcessArchitecture != Architecture.X64 && RuntimeInformation.ProcessArchitecture != Architecture.Arm64))
            throw new PlatformNotSupportedException("Baton shared memory needs Linux on x86_64 or arm64 (/dev/shm, flock, futex).");
    }

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags, int mode);

    /// <summary>open(2) with a NUL-terminated UTF-8 path already in memory (no marshalling, no allocation).</summary>
    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags, int mode);

    [LibraryImport(Libc, EntryPoint = "flock", SetLastError = true)]
    public static partial int Flock(int fd, int operation);

    [LibraryImport(Libc, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int Ftruncate(int fd, long length);

    [LibraryImport(Libc, EntryPoint = "fallocate", SetLastError = true)]
    public static partial int Fallocate(int fd, int mode, long offset, long length);

    [LibraryImport(Libc, EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Linkat(int oldDirFd, string oldPath, int newDirFd, string newPath, int flags);

    [LibraryImport(Libc, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    public const short POLLIN = 1;
    public const int ENOSYS = 38;

    /// <summary>SYS_pidfd_open: 434 on every architecture (the unified numbering of newer system calls).</summary>
    public const long SysPidfdOpen = 434;

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>syscall(2) with six integer arguments; used for futex, which glibc does not wrap.</summary>
    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    public static partial long Syscall(long number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);

    /// <summary>The identity and size of a file: statx on a descriptor (path null) or on a path.</summary>
    public static bool TryIdentify(int fd, string? path, out FileIdentity identity)
    {
        // struct statx has one layout on every architecture, unlike struct stat.
        byte* buffer = stackalloc byte[256];
        int rc = path is null
            ? Statx(fd, string.Empty, AT_EMPTY_PATH, StatxBasicStats, buffer)
            : Statx(AT_FDCWD, path, 0, StatxBasicStats, buffer);
        if (rc != 0)
        {
            identity = default;
            return false;
        }
        identity = new FileIdentity(
            Device: ((ulong)*(uint*)(buffer + 136) << 32) | *(uint*)(buffer + 140),
            Inode: *(ulong*)(buffer + 32),
            Links: *(uint*)(buffer + 16),
            Size: *(long*)(buffer + 40));
        return true;
    }

    /// <summary>Retries a call interrupted by a signal.</summary>
    public static int FlockRetrying(int fd, int operation)
    {
        while (true)
        {
            int rc = Flock(fd, operation);
            if (rc == 0 || Marshal.GetLastPInvokeError() != EINTR)
                return rc;
        }
    }
}

/// <summary>struct pollfd.</summary>
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}

/// <summary>Which file a descriptor or path is (device and inode), its link count and size.</summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode, uint Links, long Size)
{
    /// <summary>True when both name the same file.</summary>
    public bool SameFile(FileIdentity other) => Device == other.Device && Inode == other.Inode;
}
