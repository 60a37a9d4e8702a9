namespace Baton.Internal;

/// <summary>
/// Wake-ups of application code held back until the current thread finishes what it is doing. An I/O
/// thread that decodes a read delivers messages in batches of 64; waking an awaiting receiver at each
/// batch would hand it 64 messages per thread-pool wake-up. Deferred to the end of the I/O thread's
/// current callback, one wake-up carries the whole read, as it did when the read loop ran on the pool
/// (whose local queue deferred it likewise). Threads that never enable it wake at once.
/// </summary>
internal static class DeferredWakes
{
    [ThreadStatic]
    private static List<IDeferredWake>? t_pending;

    /// <summary>Makes the current thread defer wake-ups until it calls <see cref="Flush"/>.</summary>
    public static void Enable() => t_pending = [];

    /// <summary>Queues the wake-up if the current thread defers them; false to wake now.</summary>
    public static bool TryDefer(IDeferredWake wake)
    {
        var pending = t_pending;
        if (pending is null)
        {
            return false;
        }

        pending.Add(wake);
        return true;
    }

    /// <summary>Wakes what was deferred on this thread.</summary>
    public static void Flush()
    {
        var pending = t_pending;
        if (pending is null || pending.Count == 0)
        {
            return;
        }

        for (var i = 0; i < pending.Count; i++)
        {
            pending[i].WakeNow();
        }

        pending.Clear();
    }
}
