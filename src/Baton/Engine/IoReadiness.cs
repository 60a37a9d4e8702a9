using System.Net.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>
/// Readiness of a listening socket on an <see cref="IoThread"/>: the accept loop waits here instead of
/// in .NET's socket engine, so a peer (a new one, or one reconnecting) is accepted while the application
/// blocks every thread-pool thread. The caller tries its non-blocking accept first and waits only after
/// it would block, passing the edge count it read before trying. Waits are rare (one per burst of
/// peers), so each allocates its task.
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
