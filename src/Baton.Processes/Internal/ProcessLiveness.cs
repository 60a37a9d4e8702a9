using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>Whether a process id names a running process, without being its parent.</summary>
internal static unsafe class ProcessLiveness
{
    /// <summary>
    /// kill(pid, 0): success or EPERM (exists, another user's) mean it exists, ESRCH that it is gone. A zombie
    /// (exited, not yet reaped by its parent) counts as dead: it will never release anything. A recycled pid is
    /// indistinguishable from the original process.
    /// </summary>
    public static bool IsAlive(int pid)
    {
        // kill(0 or negative) addresses process groups: never what a caller asking about one pid means.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        if (NativeSharedMemory.Kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() == NativeSharedMemory.ESRCH)
            return false;
        return !IsZombie(pid);
    }

    /// <summary>Reads the state letter of /proc/PID/stat ("PID (comm) S ..."): Z zombie, X dead.</summary>
    private static bool IsZombie(int pid)
    {
        int fd = NativeSharedMemory.Open($"/proc/{pid}/stat", NativeSharedMemory.O_CLOEXEC, 0);
        if (fd < 0)
            return false; // no /proc, or another pid namespace's view: trust kill(2)
        try
        {
            // The command name is at most 15 bytes, so the state is well within the first 128.
            byte* buffer = stackalloc byte[128];
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
