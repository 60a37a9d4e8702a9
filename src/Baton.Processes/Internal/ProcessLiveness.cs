using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>Whether a process id names a running process, without being its parent.</summary>
internal static class ProcessLiveness
{
    /// <summary>
    /// kill(pid, 0): success or EPERM (exists, another user's) mean alive, ESRCH means gone. A zombie (dead
    /// but not yet reaped by its parent) still counts as alive, and a recycled pid is indistinguishable.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        // kill(0 or negative) addresses process groups: never what a caller asking about one pid means.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (NativeSharedMemory.Kill(pid, 0) == 0)
            return true;
        return Marshal.GetLastPInvokeError() != NativeSharedMemory.ESRCH;
    }
}
