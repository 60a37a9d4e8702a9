using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>Whether a process id names a running process, without being its parent.</summary>
internal static unsafe class ProcessLiveness
{
    // -1 once pidfd_open(2) proved unavailable (old kernel, seccomp): zombies are then found through /proc.
    private static int s_pidfd;

    /// <summary>
    /// True while the process runs. A zombie (exited, not yet reaped by its parent) counts as dead: it will
    /// never release anything. A recycled pid is indistinguishable from the original process. Costs a few
    /// system calls and no allocation (microseconds): call it from slow paths, e.g. after a timed-out wait,
    /// not per message.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        // kill(0 or negative) addresses process groups: never what a caller asking about one pid means.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        // Gone for good (reaped, or never was): the cheapest answer first.
        if (NativeSharedMemory.Kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() == NativeSharedMemory.ESRCH)
            return false;
        return !HasExited(pid);
    }

    /// <summary>Whether a process that still has a pid (kill(2) found it) has exited: a zombie.</summary>
    private static bool HasExited(int pid)
    {
        if (Volatile.Read(ref s_pidfd) >= 0)
        {
            // A pidfd turns readable when the process exits, reaped or not, and works for any process.
            long fd = NativeSharedMemory.Syscall(NativeSharedMemory.SysPidfdOpen, pid, 0, 0, 0, 0, 0);
            if (fd >= 0)
            {
                try
                {
                    var poll = new PollFd { Fd = (int)fd, Events = NativeSharedMemory.POLLIN };
                    return NativeSharedMemory.Poll(&poll, 1, 0) > 0;
                }
                finally
                {
                    NativeSharedMemory.Close((int)fd);
                }
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == NativeSharedMemory.ESRCH)
                return true;
            if (errno is NativeSharedMemory.ENOSYS or NativeSharedMemory.EPERM)
                Volatile.Write(ref s_pidfd, -1); // old kernel or a seccomp filter: use /proc from now on
        }
        return IsZombie(pid);
    }

    /// <summary>The fallback: the state letter of /proc/PID/stat ("PID (comm) S ..."), Z zombie, X dead.</summary>
    private static bool IsZombie(int pid)
    {
        // "/proc/PID/stat\0" built on the stack: callers poll this while waiting, so it must not allocate.
        byte* buffer = stackalloc byte[128];
        var path = new Span<byte>(buffer, 128);
        "/proc/"u8.CopyTo(path);
        pid.TryFormat(path[6..], out int digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        "/stat\0"u8.CopyTo(path[(6 + digits)..]);
        int fd = NativeSharedMemory.Open(buffer, NativeSharedMemory.O_CLOEXEC, 0);
        if (fd < 0)
            return false; // no /proc, or another pid namespace's view: trust kill(2)
        try
        {
            // The command name is at most 15 bytes, so the state is well within the first 128.
            nint read = NativeSharedMemory.Read(fd, buffer, 128);
            if (read <= 0)
                return false;
            var text = new ReadOnlySpan<byte>(buffer, (int)read);
            int close = text.LastIndexOf((byte)')');
            if (close < 0 || close + 2 >= text.Length)
                return false;
            byte state = text[close + 2];
            return state is (byte)'Z' or (byte)'X';
        }
        finally
        {
            NativeSharedMemory.Close(fd);
        }
    }
}
