using Baton.Processes.Internal.Queues;

namespace Baton.Processes;

/// <summary>
/// Python's <c>multiprocessing.Pipe()</c>: two connected ends, each usable from any process on this
/// machine (pass one to a child as an argument). Each direction is a shared-memory ring.
/// </summary>
public static class Pipe
{
    /// <summary>Creates a pipe.</summary>
    /// <param name="duplex">True: both ends send and receive. False: the first end only receives, the second only sends (as Python).</param>
    /// <param name="capacity">Each direction's ring size in bytes; a message may take at most half of it.</param>
    /// <returns>The two ends.</returns>
    public static (PipeConnection First, PipeConnection Second) Create(bool duplex = true, long capacity = QueueCore.DefaultCapacity)
    {
        // Ring "a" carries second -> first (it always exists); ring "b" first -> second when duplex.
        var a = QueueCore.Create(0, capacity);
        QueueCore? b = null;
        try
        {
            if (duplex)
                b = QueueCore.Create(0, capacity);
            var bForSecond = b is null ? null : QueueCore.Open(b.Name);
            var aForSecond = QueueCore.Open(a.Name);
            return (new PipeConnection(a, b, 0), new PipeConnection(aForSecond, bForSecond, 1));
        }
        catch
        {
            a.Dispose();
            b?.Dispose();
            throw;
        }
    }
}
