using System.Runtime.CompilerServices;

namespace Baton.Tests;

internal static class TestSetup
{
    /// <summary>
    /// The tests read child processes' pipes, which on Unix blocks a pool thread per read, and call
    /// the synchronous socket API from many threads; on a 2-core machine the pool starts with two
    /// threads and adds one about every half second, long enough to starve heartbeats. A larger
    /// floor keeps timing-sensitive tests (heartbeat timeouts) honest.
    /// </summary>
    [ModuleInitializer]
    internal static void RaiseThreadPoolFloor()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
