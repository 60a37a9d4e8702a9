namespace Baton.Processes.Internal.Queues;

/// <summary>
/// The three things a ring needs from the operating system: sleep on a shared word, wake its sleepers,
/// and tell whether a process is alive. One seam so the ring's protocol knows no system calls.
/// </summary>
internal static unsafe class RingParking
{
    /// <summary>Sleeps while <c>*address == expected</c>, at most <paramref name="timeout"/>; may return early.</summary>
    public static void Wait(int* address, int expected, TimeSpan timeout) => Futex.Wait(address, expected, timeout);

    /// <summary>Wakes up to <paramref name="count"/> sleepers on <paramref name="address"/>.</summary>
    public static void Wake(int* address, int count) => Futex.Wake(address, count);

    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie is dead).</summary>
    public static bool IsAlive(int pid) => pid == Environment.ProcessId || (pid > 0 && ProcessLiveness.IsAlive(pid));
}
