using Baton.Internal;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// How a connection waits: socket reads and writes, delays, timers, and where its loops resume after a
/// signal. On Linux an I/O thread of the context serves it (<see cref="ReactorStreamIo"/>), so the
/// connection does not need the thread pool; elsewhere, or with the context's IoThreads = 0, the
/// thread pool does (<see cref="ThreadPoolStreamIo"/>). One read and one write may be pending at a time.
/// </summary>
internal abstract class StreamIo : IDisposable
{
    /// <summary>The I/O of a connection on <paramref name="thread"/>, or on the thread pool when null.</summary>
    public static StreamIo Create(NetSocket socket, IoThread? thread, CancellationToken abort)
        => thread is not null ? new ReactorStreamIo(socket, thread, abort) : new ThreadPoolStreamIo(socket, abort);

    /// <summary>Where a loop awaiting an <see cref="AutoResetSignal"/> should resume; null for the thread pool.</summary>
    public abstract IDispatcher? Dispatcher { get; }

    /// <summary>Reads what is there, at least one byte, waiting if need be; 0 at end of stream. An empty buffer waits until the socket is readable.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Writes what fits, at least one byte, waiting if need be.</summary>
    public abstract ValueTask<int> SendAsync(ReadOnlyMemory<byte> data);

    /// <summary>Lets others run, then resumes on this connection's I/O thread (or the pool).</summary>
    public abstract ValueTask YieldAsync();

    /// <summary>Completes after <paramref name="delay"/>; throws <see cref="OperationCanceledException"/> once the connection aborts.</summary>
    public abstract ValueTask DelayAsync(TimeSpan delay);

    /// <summary>Calls <paramref name="callback"/> once after <paramref name="due"/>, unless the result is disposed first.</summary>
    public abstract IDisposable StartTimer(TimeSpan due, Action<object?> callback, object? state);

    /// <summary>Stops watching the socket; call once no operation is pending, before disposing the socket.</summary>
    public abstract void Dispose();
}
