using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>
/// Kills this process (SIGKILL) the moment the process that started it dies, however it dies (kill -9
/// included), so no child outlives its parent. A pidfd of the parent becomes readable when it exits; a
/// dedicated thread waits on it. PR_SET_PDEATHSIG is not used: it fires when the spawning *thread* exits,
/// and the thread pool retires threads.
/// </summary>
internal static unsafe class ParentWatch
{
    /// <summary>Starts watching <paramref name="parentPid"/>; exits at once when it is already gone.</summary>
    public static void Start(int parentPid)
    {
        var pidFd = LibC.PidFdOpen(parentPid, 0);
        // The pid could already belong to someone else if the parent died before we got here: then we have
        // been re-parented, and getppid tells.
        if (pidFd < 0 && Marshal.GetLastPInvokeError() == LibC.ESRCH || LibC.GetPPid() != parentPid)
            Die();
        if (pidFd < 0)
            return; // no pidfds (kernel before 5.3): the control socket's end of stream still ends a waiting child
        var thread = new Thread(() => Watch(pidFd)) { IsBackground = true, Name = "Baton parent watch" };
        thread.Start();
    }

    private static void Watch(int pidFd)
    {
        var fd = new LibC.PollFd { Fd = pidFd, Events = LibC.POLLIN };
        while (LibC.Poll(&fd, 1, -1) < 0)
        {
            // EINTR: poll again
        }

        Die();
    }

    private static void Die()
    {
        LibC.Kill(LibC.GetPid(), LibC.SIGKILL);
        Environment.FailFast("Baton: SIGKILL did not end the orphaned child.");
    }
}
