using System.Runtime.InteropServices;

namespace Baton.Processes.Tests.Children;

/// <summary>System calls the tests need to watch processes that are not their children.</summary>
internal static unsafe partial class TestLibC
{
    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int PidFdOpen(int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(long* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>Waits until process <paramref name="pid"/> (anyone's) has ended; false when the timeout passes first.</summary>
    public static bool WaitForExit(int pid, TimeSpan timeout)
    {
        var fd = PidFdOpen(pid, 0);
        if (fd < 0)
            return true; // ESRCH: already gone (and reaped)
        try
        {
            long pollFd = (uint)fd | (1L << 32); // struct pollfd { int fd; short events = POLLIN; short revents; }
            return Poll(&pollFd, 1, (int)timeout.TotalMilliseconds) > 0;
        }
        finally
        {
            Close(fd);
        }
    }
}
