using System.Net;
using System.Net.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// Readiness of a listening or connecting socket on an <see cref="IoThread"/>: accept and connect loops
/// wait here instead of in .NET's socket engine, so a peer can be accepted, and a connection made again,
/// while the application blocks every thread-pool thread. The caller tries its non-blocking call first
/// and waits only after it would block, passing the edge count it read before trying. Waits are rare
/// (one per accepted burst or connect), so each allocates its task.
/// </summary>
internal sealed class IoReadiness : IReadinessHandler, IDisposable
{
    private readonly IoThread _thread;
    private readonly NetSocket _socket;
    private readonly int _registration;
    private readonly Lock _gate = new();
    private int _readEdges;
    private int _writeEdges;
    private TaskCompletionSource<bool>? _readWaiter;
    private TaskCompletionSource<bool>? _writeWaiter;
    private int _disposed;

    public IoReadiness(IoThread thread, NetSocket socket)
    {
        _thread = thread;
        _socket = socket;
        socket.Blocking = false;
        _registration = thread.Register(socket, this);
    }

    /// <summary>Edges seen for reading (an accept) so far; read it before trying.</summary>
    public int ReadEdges => Volatile.Read(ref _readEdges);

    /// <summary>Connects <paramref name="socket"/> without blocking, waiting for the result on <paramref name="thread"/>.</summary>
    public static async Task ConnectAsync(IoThread thread, NetSocket socket, EndPoint endpoint, CancellationToken cancellationToken)
    {
        using var readiness = new IoReadiness(thread, socket);
        var edges = Volatile.Read(ref readiness._writeEdges);
        try
        {
            socket.Connect(endpoint);
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress or SocketError.AlreadyInProgress)
        {
        }

        // Writable once connected, or with an error once refused.
        await readiness.WaitAsync(write: true, edges, cancellationToken).ConfigureAwait(false);
        var error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
        if (error != 0)
        {
            throw new SocketException(error);
        }
    }

    /// <summary>Completes at the first edge after <paramref name="seenEdges"/> (at once if one came already), on the I/O thread.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    public Task WaitAsync(bool write, int seenEdges, CancellationToken cancellationToken)
    {
        // Not asynchronous: the awaiting loop goes on inline on the I/O thread, not on the pool.
        var waiter = new TaskCompletionSource<bool>();
        lock (_gate)
        {
            if ((write ? _writeEdges : _readEdges) != seenEdges)
            {
                return Task.CompletedTask;
            }

            if (write)
            {
                _writeWaiter = waiter;
            }
            else
            {
                _readWaiter = waiter;
            }
        }

        return WaitCoreAsync(waiter, cancellationToken);
    }

    public void OnReady(uint events)
    {
        TaskCompletionSource<bool>? read = null, write = null;
        lock (_gate)
        {
            if ((events & (Internal.Epoll.In | Internal.Epoll.Error | Internal.Epoll.HangUp)) != 0)
            {
                _readEdges++;
                (read, _readWaiter) = (_readWaiter, null);
            }

            if ((events & (Internal.Epoll.Out | Internal.Epoll.Error | Internal.Epoll.HangUp)) != 0)
            {
                _writeEdges++;
                (write, _writeWaiter) = (_writeWaiter, null);
            }
        }

        read?.TrySetResult(true);
        write?.TrySetResult(true);
    }

    /// <summary>Stops watching the socket; call before disposing it (epoll keeps it open until then).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _thread.Unregister(_socket, _registration);
        }
    }

    private async Task WaitCoreAsync(TaskCompletionSource<bool> waiter, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            await waiter.Task.ConfigureAwait(false);
            return;
        }

        // Cancelled on the I/O thread, so the waiting loop resumes there as well.
        await using (cancellationToken.UnsafeRegister(static (state, token) =>
        {
            var (thread, w) = ((IoThread, TaskCompletionSource<bool>))state!;
            thread.Post(static s => ((TaskCompletionSource<bool>)s!).TrySetResult(false), w);
        }, (_thread, waiter)).ConfigureAwait(false))
        {
            await waiter.Task.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
