using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Baton.Processes.Internal;

/// <summary>
/// futex(2) on 32-bit words of shared mappings: no FUTEX_PRIVATE_FLAG, so the kernel keys a wait on the
/// file and offset and a waiter in one process is woken by a waker in another.
/// </summary>
internal static unsafe class Futex
{
    private const int FutexWait = 0;
    private const int FutexWake = 1;

    /// <summary>SYS_futex: 202 on x86_64, 98 on arm64.</summary>
    private static readonly long SysFutex = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 98 : 202;

    /// <summary>
    /// Sleeps while <c>*address == expected</c>, until woken or <paramref name="timeout"/> passes (null: no limit).
    /// Returns false on timeout only; true means woken, spuriously woken or the word no longer held
    /// <paramref name="expected"/>: the caller re-checks its condition either way.
    /// </summary>
    public static bool Wait(int* address, int expected, TimeSpan? timeout)
    {
        if (timeout is { } limit && limit < TimeSpan.Zero && limit != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or positive, or Timeout.InfiniteTimeSpan.");
        bool bounded = timeout is { } t && t != Timeout.InfiniteTimeSpan;
        long start = bounded ? Stopwatch.GetTimestamp() : 0;
        // struct timespec { long tv_sec; long tv_nsec; } (relative, CLOCK_MONOTONIC for FUTEX_WAIT).
        long* spec = stackalloc long[2];
        while (true)
        {
            long rc;
            if (bounded)
            {
                TimeSpan remaining = timeout!.Value - Stopwatch.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero)
                    return Volatile.Read(ref *address) != expected; // out of time: only a changed word counts
                long ticks = remaining.Ticks;
                spec[0] = ticks / TimeSpan.TicksPerSecond;
                spec[1] = ticks % TimeSpan.TicksPerSecond * 100;
                rc = NativeSharedMemory.Syscall(SysFutex, (nint)address, FutexWait, expected, (nint)spec, 0, 0);
            }
            else
            {
                rc = NativeSharedMemory.Syscall(SysFutex, (nint)address, FutexWait, expected, 0, 0, 0);
            }
            if (rc == 0)
                return true;
            int errno = Marshal.GetLastPInvokeError();
            switch (errno)
            {
                case NativeSharedMemory.EAGAIN:
                    return true; // the word already changed
                case NativeSharedMemory.EINTR:
                    continue; // a signal: wait again for what is left
                case NativeSharedMemory.ETIMEDOUT:
                    return false;
                default:
                    throw new InvalidOperationException($"futex wait failed with errno {errno}.");
            }
        }
    }

    /// <summary>Wakes up to <paramref name="count"/> waiters on <paramref name="address"/> (int.MaxValue: all).</summary>
    public static void Wake(int* address, int count)
    {
        long rc = NativeSharedMemory.Syscall(SysFutex, (nint)address, FutexWake, count, 0, 0, 0);
        if (rc < 0)
            throw new InvalidOperationException($"futex wake failed with errno {Marshal.GetLastPInvokeError()}.");
    }
}
