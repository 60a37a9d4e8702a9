using System.Diagnostics;
using Baton.Engine;
using Baton.Internal;

namespace Baton.Sockets;

public abstract partial class ZmqSocket
{
    /// <summary>How long a drained connection waits for the peer to close its side before it is cut.</summary>
    private static readonly TimeSpan s_closeHandshakeCap = TimeSpan.FromSeconds(5);

    /// <summary>Completed to end the linger at once (a host's shutdown deadline): what is still queued is discarded.</summary>
    private readonly TaskCompletionSource _lingerCut = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Closes the socket: stops listening and connecting, gives queued messages up to
    /// <see cref="SocketOptions.Linger"/> to reach the wire, then drops every peer. Waiting
    /// receivers and senders get <see cref="ObjectDisposedException"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) == 1)
        {
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            Context.Unregister(this);
            _disposed.TrySetResult();
        }

        // The close ends with connections that end on an I/O thread: the caller's code after the await
        // must not run there, where one blocking call of its own would stall every connection.
        if (IoThread.OnAnyIoThread)
        {
            await Task.Yield();
        }
    }

    /// <summary>Closes the socket; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Ends the linger of a close under way, or of one to come, at once: messages still queued are
    /// discarded and connections cut (<see cref="Sockets.Context.CloseAsync"/> when its token fires).
    /// </summary>
    internal void CutLinger() => _lingerCut.TrySetResult();

    private async Task CloseAsync()
    {
        _closed = true;
        PulseWritable();
        NotifyPollersClosing();
        OnClosing();
        var endpoints = TakeAllEndpoints();
        var listeners = new List<ListenerHandle>();
        var connectors = new List<ConnectorHandle>();
        foreach (var endpoint in endpoints)
        {
            // No new peers; those already here get the linger time below.
            endpoint.Stop();
            if (endpoint is ListenerHandle listener)
            {
                listeners.Add(listener);
            }
            else if (endpoint is ConnectorHandle connector)
            {
                connectors.Add(connector);
            }
        }

        await LingerAsync(listeners, connectors).ConfigureAwait(false);

        var closing = new List<Task>();
        foreach (var endpoint in endpoints)
        {
            closing.Add(endpoint.CloseAsync());
        }

        await Task.WhenAll(closing).ConfigureAwait(false);

        foreach (var pipe in Pipes)
        {
            pipe.Terminate();
        }

        _inbound.Complete();
        CompleteMonitors();
        while (_inbound.TryDequeue(out var message, out _))
        {
            message.Release();
        }
    }

    /// <summary>Lets queued messages reach the wire within the linger time, then lets peers close first.</summary>
    /// <remarks>
    /// Event-driven: it waits on each connection's <see cref="Connection.Drained"/> and each connector's
    /// <see cref="ConnectorHandle.WhenDrainedAsync"/> against the deadline, so a close with nothing
    /// queued ends as soon as the peers have read the tail.
    /// </remarks>
    private async Task LingerAsync(List<ListenerHandle> listeners, List<ConnectorHandle> connectors)
    {
        var linger = Options.Linger;
        if (linger == TimeSpan.Zero || _lingerCut.Task.IsCompleted)
        {
            return;
        }

        var clock = Stopwatch.StartNew();
        var connections = new List<Connection>();
        foreach (var listener in listeners)
        {
            connections.AddRange(listener.Connections());
        }

        foreach (var connection in connections)
        {
            connection.BeginDrain();
        }

        foreach (var connector in connectors)
        {
            connector.BeginDrain();
        }

        var drains = new List<Task>();
        foreach (var connection in connections)
        {
            // A connection still in its handshake has nothing queued: its pipe joins the socket when it is ready.
            if (connection.IsReady && !connection.Drained.IsCompleted)
            {
                drains.Add(connection.Drained);
            }
        }

        var connectorDrains = new Task[connectors.Count];
        for (var i = 0; i < connectors.Count; i++)
        {
            connectorDrains[i] = connectors[i].WhenDrainedAsync();
            if (!connectorDrains[i].IsCompleted)
            {
                drains.Add(connectorDrains[i]);
            }
        }

        if (drains.Count > 0 && !await DrainAsync(Task.WhenAll(drains), connections, connectors, clock).ConfigureAwait(false))
        {
            // What is still queued is discarded; cut those connections now rather than wait on them below.
            var type = SocketTypes.WireName(Type);
            foreach (var connection in connections)
            {
                if (!connection.Drained.IsCompleted)
                {
                    Log.LingerExpired(Logger, type, connection.Pipe.Endpoint, connection.Pipe.OutboundCount);
                    connection.Close();
                }
            }

            for (var i = 0; i < connectors.Count; i++)
            {
                if (!connectorDrains[i].IsCompleted)
                {
                    Log.LingerExpired(Logger, type, connectors[i].Endpoint, connectors[i].Queued);

                    // Awaited again by CloseAsync: closing twice is harmless.
                    _ = connectors[i].CloseAsync();
                }
            }
        }

        // Drained connections half-closed their side; give peers a moment to read the tail and
        // close theirs, so that no unread data turns our close into a reset that loses it.
        var runs = new List<Task>();
        foreach (var connector in connectors)
        {
            if (connector.CurrentRun is { IsCompleted: false } run)
            {
                runs.Add(run);
            }
        }

        foreach (var listener in listeners)
        {
            runs.AddRange(listener.Runs());
        }

        if (runs.Count > 0)
        {
            // With a finite linger, a peer that does not close its side within the stall timeout is not reading.
            var stall = Options.LingerStallTimeout;
            var cap = linger != Timeout.InfiniteTimeSpan && stall != Timeout.InfiniteTimeSpan && stall < s_closeHandshakeCap ? stall : s_closeHandshakeCap;
            var remaining = linger == Timeout.InfiniteTimeSpan ? cap : linger - clock.Elapsed;
            if (remaining > cap)
            {
                remaining = cap;
            }

            if (remaining > TimeSpan.Zero)
            {
                await WaitAsync(Task.WhenAll(runs), remaining).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="drained"/> within the linger time, giving up early when queued messages
    /// stop moving for <see cref="SocketOptions.LingerStallTimeout"/>; true if everything was written.
    /// </summary>
    /// <remarks>
    /// Completion is event-driven; the stall rule looks at the pipes' progress counters once per stall
    /// timeout (every 2 s by default), which costs nothing when the drain ends first.
    /// </remarks>
    private async Task<bool> DrainAsync(Task drained, List<Connection> connections, List<ConnectorHandle> connectors, Stopwatch clock)
    {
        var linger = Options.Linger;
        var stall = Options.LingerStallTimeout;
        if (linger == Timeout.InfiniteTimeSpan || stall == Timeout.InfiniteTimeSpan || stall >= linger)
        {
            await WaitAsync(drained, linger).ConfigureAwait(false);
            return drained.IsCompleted;
        }

        var seen = Progress(connections, connectors);
        while (true)
        {
            var remaining = linger - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }

            await WaitAsync(drained, remaining < stall ? remaining : stall).ConfigureAwait(false);
            if (drained.IsCompleted)
            {
                return true;
            }

            if (_lingerCut.Task.IsCompleted)
            {
                return false;
            }

            var now = Progress(connections, connectors);
            if (now == seen)
            {
                return false;
            }

            seen = now;
        }
    }

    private static long Progress(List<Connection> connections, List<ConnectorHandle> connectors)
    {
        var sum = 0L;
        foreach (var connection in connections)
        {
            sum += connection.Pipe.Progress;
        }

        foreach (var connector in connectors)
        {
            sum += connector.Progress;
        }

        return sum;
    }

    /// <summary>
    /// Waits for <paramref name="task"/> at most <paramref name="timeout"/> (infinite allowed), or until the
    /// linger is cut; never throws.
    /// </summary>
    private async Task WaitAsync(Task task, TimeSpan timeout)
    {
        if (!task.IsCompleted)
        {
            // Only a close comes here, so the WhenAny costs nothing per message.
            task = _lingerCut.Task.IsCompleted ? _lingerCut.Task : Task.WhenAny(task, _lingerCut.Task);
        }

        if (timeout == Timeout.InfiniteTimeSpan)
        {
            await task.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        // WaitAsync disposes its timer when the task wins, unlike Task.Delay in a WhenAny.
        await task.WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
