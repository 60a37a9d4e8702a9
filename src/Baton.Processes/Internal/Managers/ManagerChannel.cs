using Baton.Messages;
using Baton.Sockets;

namespace Baton.Processes.Internal.Managers;

/// <summary>
/// One connection to a manager, one request at a time. Every wait also watches the manager: its process
/// (when this process started it), the connection (a drop while a request is pending fails that request)
/// and how long the manager has been unreachable.
/// </summary>
internal sealed class ManagerChannel : IAsyncDisposable
{
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(200);

    private readonly DealerSocket _socket;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Func<Exception?>? _serverGone;
    private readonly TimeSpan _connectTimeout;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _monitor;
    private uint _nextId;
    private int _disposed;
    private volatile bool _connected;
    private int _drops;
    private long _unreachableSince = Environment.TickCount64;

    public ManagerChannel(string endpoint, TimeSpan connectTimeout, Func<Exception?>? serverGone, SocketSecurity? security = null)
    {
        Endpoint = endpoint;
        _connectTimeout = connectTimeout;
        _serverGone = serverGone;
        _socket = new DealerSocket(new SocketOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            HeartbeatTimeout = TimeSpan.FromSeconds(5),
            ReconnectInterval = TimeSpan.FromMilliseconds(50),
            ReconnectIntervalMax = TimeSpan.FromSeconds(1),
            // Every request waits for its reply, so nothing worth keeping is ever left unsent at close.
            Linger = TimeSpan.Zero,
            Security = security ?? SocketSecurity.Null,
        });
        _monitor = WatchAsync(_socket.MonitorAsync(_closing.Token));
        _socket.Connect(endpoint);
    }

    public string Endpoint { get; }

    private async Task WatchAsync(IAsyncEnumerable<SocketEvent> events)
    {
        try
        {
            await foreach (var socketEvent in events.ConfigureAwait(false))
            {
                switch (socketEvent.Kind)
                {
                    case SocketEventKind.HandshakeSucceeded:
                        _connected = true;
                        break;
                    case SocketEventKind.Disconnected:
                    case SocketEventKind.PeerDropped:
                        // Counted even before the handshake's own event arrived: a request sent on that
                        // connection is lost all the same.
                        if (_connected)
                        {
                            _connected = false;
                            Volatile.Write(ref _unreachableSince, Environment.TickCount64);
                        }

                        Interlocked.Increment(ref _drops);

                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// Sends a request and waits for its reply; the reply's frames are the caller's. A withdrawable request
    /// (a queue Put or Get the server may hold) is not abandoned on cancellation: the server is asked to
    /// withdraw it and the reply is still taken, so an item the server already handed over is returned
    /// rather than lost.
    /// </summary>
    public async ValueTask<(ManagerStatus Status, Frame[] Payload)> RequestAsync(
        ManagerOp op, string name, Frame[] arguments, bool withdrawable, CancellationToken cancellationToken)
    {
        // Checked here so that a user sees which object was closed, not the name of our internal semaphore.
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(Manager), $"The connection to the manager at {Endpoint} is closed: the Manager it belongs to (for a queue, its QueueProxy) was disposed.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var id = ++_nextId;
            var nameFrame = Frame.FromString(name);
            var request = new Message(ManagerWire.UInt32(id), ManagerWire.Byte((byte)op), nameFrame);
            foreach (var argument in arguments)
            {
                request.Append(argument);
            }

            var drops = Volatile.Read(ref _drops);
            await _socket.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var withdrawn = false;
            while (true)
            {
                Message? received;
                try
                {
                    received = await _socket.TryReceiveAsync(Slice, withdrawn ? CancellationToken.None : cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (withdrawable && !withdrawn && cancellationToken.IsCancellationRequested)
                {
                    withdrawn = true;
                    await _socket.SendAsync(new Message(ManagerWire.UInt32(++_nextId), ManagerWire.Byte((byte)ManagerOp.QueueCancel), nameFrame, ManagerWire.UInt32(id)), CancellationToken.None).ConfigureAwait(false);
                    continue;
                }

                if (received is { } reply)
                {
                    using (reply)
                    {
                        if (reply.Count < 2 || !ManagerWire.TryReadUInt32(reply.GetSpan(0), out var replyId) || replyId != id || reply[1].Length != 1)
                        {
                            continue; // The late reply of a request that was given up on.
                        }

                        var status = (ManagerStatus)reply.GetSpan(1)[0];
                        if (status == ManagerStatus.Cancelled)
                        {
                            throw new OperationCanceledException(cancellationToken);
                        }

                        var payload = new Frame[reply.Count - 2];
                        for (var i = 0; i < payload.Length; i++)
                        {
                            payload[i] = reply[i + 2];
                        }

                        return (status, payload);
                    }
                }

                ThrowIfUnavailable(drops);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private void ThrowIfUnavailable(int dropsAtSend)
    {
        if (_serverGone?.Invoke() is { } gone)
        {
            throw new ManagerUnavailableException($"The manager at {Endpoint} has ended: {gone.Message}", gone) { Endpoint = Endpoint };
        }

        if (Volatile.Read(ref _drops) != dropsAtSend)
        {
            throw new ManagerUnavailableException($"The connection to the manager at {Endpoint} dropped while a request was pending; it may or may not have been applied.") { Endpoint = Endpoint };
        }

        if (!_connected && Environment.TickCount64 - Volatile.Read(ref _unreachableSince) > (long)_connectTimeout.TotalMilliseconds)
        {
            throw new ManagerUnavailableException($"The manager at {Endpoint} could not be reached within {_connectTimeout.TotalSeconds:0.#} s.") { Endpoint = Endpoint };
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closing.CancelAsync().ConfigureAwait(false);
        await _socket.DisposeAsync().ConfigureAwait(false);
        await _monitor.ConfigureAwait(false);
        _closing.Dispose();
        _gate.Dispose();
    }
}
