using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>
/// Watches the children this process spawned: one background thread polls their pidfds (and an eventfd that
/// says "a child was added"), and collects each exit status with waitid(P_PIDFD), so only our own pids are
/// reaped and the status is exact (an exit code, or the signal that killed the child).
/// </summary>
internal static unsafe class ChildReaper
{
    private static readonly object Gate = new();
    private static readonly ConcurrentDictionary<int, Watched> Children = new();
    private static int wakeFd = -1;
    private static Thread? thread;

    /// <summary>
    /// Starts watching <paramref name="pid"/> (a child of this process). The task completes with its exit
    /// status: the exit code, or minus the signal number when a signal ended it (as Python's exitcode).
    /// </summary>
    public static Task<int> Watch(int pid)
    {
        EnsureStarted();
        var pidFd = LibC.PidFdOpen(pid, 0);
        var watched = new Watched(pid, pidFd);
        if (pidFd < 0)
        {
            // Only when the kernel refuses pidfds (before 5.3): collect the status with a blocking waitid on a thread.
            var thread = new Thread(() => watched.Exited.TrySetResult(BlockingWait(pid))) { IsBackground = true, Name = "Baton child wait " + pid };
            thread.Start();
            return watched.Exited.Task;
        }

        Children[pidFd] = watched;
        Wake();
        return watched.Exited.Task;
    }

    private static void EnsureStarted()
    {
        if (Volatile.Read(ref thread) is not null)
            return;
        lock (Gate)
        {
            if (thread is not null)
                return;
            wakeFd = LibC.EventFd(0, 0x80000 /* EFD_CLOEXEC */);
            if (wakeFd < 0)
                throw new IOException($"eventfd failed: {LibC.ErrorText(Marshal.GetLastPInvokeError())}");
            var started = new Thread(Run) { IsBackground = true, Name = "Baton child reaper" };
            started.Start();
            Volatile.Write(ref thread, started);
        }
    }

    private static void Wake()
    {
        ulong one = 1;
        LibC.Write(wakeFd, (byte*)&one, sizeof(ulong));
    }

    private static void Run()
    {
        var fds = new LibC.PollFd[16];
        while (true)
        {
            var count = 1 + Children.Count;
            if (fds.Length < count)
                fds = new LibC.PollFd[count * 2];
            fds[0] = new LibC.PollFd { Fd = wakeFd, Events = LibC.POLLIN };
            var n = 1;
            foreach (var key in Children.Keys)
            {
                if (n == fds.Length)
                    break; // the rest are polled next round, after the wake-up this one is bound to cause
                fds[n++] = new LibC.PollFd { Fd = key, Events = LibC.POLLIN };
            }

            int ready;
            fixed (LibC.PollFd* p = fds)
                ready = LibC.Poll(p, (nuint)n, -1);
            if (ready < 0)
                continue; // EINTR

            if (fds[0].Revents != 0)
            {
                ulong value;
                LibC.Read(wakeFd, (byte*)&value, sizeof(ulong));
            }

            for (var i = 1; i < n; i++)
            {
                if (fds[i].Revents == 0 || !Children.TryRemove(fds[i].Fd, out var watched))
                    continue;
                var status = Collect(watched);
                LibC.Close(watched.PidFd);
                watched.Exited.TrySetResult(status);
            }
        }
    }

    private static int Collect(Watched watched)
    {
        var info = stackalloc byte[LibC.SigInfoSize];
        while (true)
        {
            new Span<byte>(info, LibC.SigInfoSize).Clear();
            if (LibC.WaitId(LibC.P_PIDFD, watched.PidFd, info, LibC.WEXITED) == 0)
                return Decode(info);
            var errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
                return int.MinValue; // someone else reaped it (ECHILD): the status is lost
        }
    }

    private static int BlockingWait(int pid)
    {
        var info = stackalloc byte[LibC.SigInfoSize];
        while (true)
        {
            if (LibC.WaitId(LibC.P_PID, pid, info, LibC.WEXITED) == 0)
                return Decode(info);
            if (Marshal.GetLastPInvokeError() != LibC.EINTR)
                return int.MinValue;
        }
    }

    private static int Decode(byte* info)
    {
        var (code, status, _) = LibC.ReadSigInfo(info);
        return code == LibC.CLD_EXITED ? status : -status;
    }

    private sealed class Watched(int pid, int pidFd)
    {
        public int Pid { get; } = pid;

        public int PidFd { get; } = pidFd;

        public TaskCompletionSource<int> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
