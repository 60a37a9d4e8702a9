namespace Baton.Processes.Internal.Queues;

/// <summary>
/// The three things a ring needs from the operating system: sleep on a shared word, wake its sleepers,
/// and tell whether a process is alive. One seam so the ring's protocol knows no system calls.
/// </summary>
internal static unsafe class RingParking
{
    /// <summary>Sleeps while <c>*address == expected</c>, at most <paramref name="timeout"/>; may return early.</summary>
    public static void Wait(int* address, int expected, TimeSpan timeout)
    {
        // Stand-in until the shared futex lands: a short sleep is a correct (spurious) wake-up.
        if (Volatile.Read(ref *address) == expected)
            Thread.Sleep(timeout < TimeSpan.FromMilliseconds(1) ? timeout : TimeSpan.FromMilliseconds(1));
    }

    /// <summary>Wakes up to <paramref name="count"/> sleepers on <paramref name="address"/>.</summary>
    public static void Wake(int* address, int count)
    {
        _ = address;
        _ = count;
    }

    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie is dead).</summary>
    public static bool IsAlive(int pid)
    {
        if (pid == Environment.ProcessId)
            return true;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }
}
