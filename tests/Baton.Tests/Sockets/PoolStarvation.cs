namespace Baton.Tests.Sockets;

/// <summary>
/// Blocks every thread-pool thread, as an application doing sync-over-async does: more blocking work
/// items than the pool has threads or will add in the time, each waiting on one event that
/// <see cref="Dispose"/> sets. A probe item queued after them tells whether anything else got to run.
/// Process-wide: use it only in a collection that runs alone.
/// </summary>
internal sealed class PoolStarvation : IDisposable
{
    // The pool adds threads slowly (about two a second) while its workers are blocked: far fewer than this in any test.
    private const int BlockingItems = 1000;

    private readonly ManualResetEventSlim _release = new();
    private int _blocked;
    private volatile bool _probeRan;

    private PoolStarvation()
    {
    }

    /// <summary>Threads of the pool seen blocked; at most the pool's thread count.</summary>
    public int Blocked => Volatile.Read(ref _blocked);

    /// <summary>The pool's threads when blocking began, and how long it took to hold them all.</summary>
    public string Describe { get; private set; } = "";

    /// <summary>Whether a work item queued after the blockers ran: true means the pool was not starved.</summary>
    public bool ProbeRan => _probeRan;

    /// <summary>Starts blocking and returns once every worker the pool has is held (or after 10 s).</summary>
    public static PoolStarvation Begin()
    {
        var starvation = new PoolStarvation();
        for (var i = 0; i < BlockingItems; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Block(), starvation, preferLocal: false);
        }

        // The calling thread may itself be a pool thread, which the items cannot hold.
        var self = Thread.CurrentThread.IsThreadPoolThread ? 1 : 0;
        var started = Environment.TickCount64;
        // Until every worker is held, or none more has been for 500 ms (workers blocked elsewhere, by the test host, count as held).
        var held = false;
        var last = (Count: -1, Since: started);
        while (Environment.TickCount64 - started < 5_000)
        {
            var blocked = starvation.Blocked;
            held = blocked + self >= ThreadPool.ThreadCount;
            if (held || Environment.TickCount64 - last.Since >= 500)
            {
                break;
            }

            if (blocked != last.Count)
            {
                last = (blocked, Environment.TickCount64);
            }

            Thread.Yield();
        }

        starvation.Describe = $"{starvation.Blocked} of {ThreadPool.ThreadCount} pool threads blocked (self {self}, all held: {held}) after {Environment.TickCount64 - started} ms";
        ThreadPool.UnsafeQueueUserWorkItem(static state => state._probeRan = true, starvation, preferLocal: false);
        return starvation;
    }

    public void Dispose() => _release.Set();

    private void Block()
    {
        Interlocked.Increment(ref _blocked);
        _release.Wait();
    }
}
