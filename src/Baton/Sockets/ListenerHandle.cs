using System.Diagnostics;
using System.Net.Sockets;
using Baton.Engine;
using Baton.Internal;
using Baton.Transports;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Sockets;

/// <summary>A bound tcp or ipc endpoint: accepts peers from its transport listener and runs a connection for each.</summary>
internal sealed class ListenerHandle : EndpointHandle
{
    private readonly TransportListener _listener;
    private readonly ZmqSocket _owner;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<Connection, Task> _connections = [];

    // Per remote host (all ipc peers share one): a peer of an incompatible type that keeps reconnecting
    // warns once. Bounded, so that many hosts cannot grow it; beyond the bound every drop warns.
    private const int MaxPairingWarnings = 1024;
    private readonly Dictionary<string, RepeatedWarning> _pairingWarnings = [];
    private readonly Task _acceptLoop;

    // Where the accept loop waits, when the context runs I/O threads: peers are then accepted even while
    // the application blocks every thread-pool thread. Null: .NET's AcceptAsync.
    private readonly IoThread? _io;
    private readonly IoReadiness? _readiness;

    // Handshakes in progress hold memory and a timer each; beyond this many, accepting pauses (peers wait
    // in the system's backlog) until one completes or fails, so a flood of half-open greetings is bounded.
    private readonly SemaphoreSlim _handshakeSlots = new(MaxPendingHandshakes);

    /// <summary>Most handshakes in progress per listener.</summary>
    public const int MaxPendingHandshakes = 1024;

    private ListenerHandle(TransportListener listener, ZmqSocket owner)
        : base(listener.RequestedEndpoint, listener.BoundEndpoint)
    {
        _listener = listener;
        _owner = owner;
        _io = owner.Context.NextIoThread();
        if (_io is not null)
        {
            _readiness = new IoReadiness(_io, listener.Socket);
        }

        _acceptLoop = AcceptLoopAsync();
    }

    /// <inheritdoc />
    public override bool IsBind => true;

    /// <summary>The endpoint actually bound (port and path resolved).</summary>
    public string BoundEndpoint => ResolvedEndpoint;

    /// <summary>Binds <paramref name="endpoint"/> (tcp or ipc) and starts accepting.</summary>
    public static ListenerHandle Bind(ZmqSocket owner, Endpoint endpoint) =>
        new(TransportListener.Bind(endpoint, owner.Options.IPv6), owner);

    /// <summary>Stops accepting and removes the ipc file; connections already made stay.</summary>
    public override void Stop()
    {
        if (!_stop.IsCancellationRequested)
        {
            _owner.Raise(SocketEventKind.Closed, BoundEndpoint);
        }

        _stop.Cancel();

        // Out of epoll first, which holds the socket open: the port or path is free once Stop returns.
        _readiness?.Dispose();
        _listener.Dispose();
    }

    /// <summary>The live connections and their pipes, for linger.</summary>
    public List<Connection> Connections()
    {
        lock (_lock)
        {
            return [.. _connections.Keys];
        }
    }

    /// <summary>The tasks running the live connections.</summary>
    public List<Task> Runs()
    {
        lock (_lock)
        {
            return [.. _connections.Values];
        }
    }

    /// <summary>Closes every connection and waits for them and the accept loop to end.</summary>
    public override async Task CloseAsync()
    {
        Stop();
        Task[] tasks;
        lock (_lock)
        {
            foreach (var connection in _connections.Keys)
            {
                connection.Close();
            }

            tasks = [.. _connections.Values];
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            await AcceptPeersAsync().ConfigureAwait(false);
        }
        finally
        {
            // Epoll holds the listening socket open until then.
            _readiness?.Dispose();
        }
    }

    private async Task AcceptPeersAsync()
    {
        if (_io is null)
        {
            await Task.Yield();
        }
        else
        {
            await _io.SwitchToAsync().ConfigureAwait(false);
        }

        var saturated = false;
        while (!_stop.IsCancellationRequested)
        {
            NetSocket peer;
            try
            {
                if (_handshakeSlots.Wait(0))
                {
                    saturated = false;
                }
                else
                {
                    // Once per flood, not once per peer.
                    if (!saturated)
                    {
                        Log.HandshakesSaturated(_owner.Logger, SocketTypes.WireName(_owner.Type), BoundEndpoint, MaxPendingHandshakes);
                        saturated = true;
                    }

                    await _handshakeSlots.WaitAsync(_stop.Token).ConfigureAwait(false);
                }

                peer = _readiness is null ? await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false) : await AcceptOnIoThreadAsync(_readiness).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                _handshakeSlots.Release();
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                Log.AcceptFailed(_owner.Logger, SocketTypes.WireName(_owner.Type), BoundEndpoint, e.SocketErrorCode.ToString());

                // Out of descriptors and the like: give the system a moment instead of spinning.
                if (_io is null)
                {
                    await Task.Delay(10).ConfigureAwait(false);
                }
                else
                {
                    await _io.DelayAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None).ConfigureAwait(false);
                }

                continue;
            }

            // Frozen since the bind (ZmqSocket.Options), so every peer gets the same ones.
            StreamTuning.Configure(peer, _owner.Options.TcpKeepAlive);
            var settings = _owner.EngineSettings;
            var pipe = new StreamPipe(_owner, BoundEndpoint, settings);
            var connection = new Connection(peer, _owner, pipe, settings, _owner.Logger, _owner.Context.NextIoThread(), () => _handshakeSlots.Release(), PairingWarningFor(peer));
            _owner.Raise(SocketEventKind.Accepted, BoundEndpoint, peerAddress: connection.PeerAddress);
            lock (_lock)
            {
                if (_stop.IsCancellationRequested)
                {
                    peer.Dispose();
                    return;
                }

                _connections[connection] = RunAsync(connection, pipe);
            }
        }
    }

    private RepeatedWarning? PairingWarningFor(NetSocket peer)
    {
        string host;
        try
        {
            host = peer.RemoteEndPoint is System.Net.IPEndPoint ip ? ip.Address.ToString() : "ipc";
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }

        lock (_lock)
        {
            if (!_pairingWarnings.TryGetValue(host, out var warning) && _pairingWarnings.Count < MaxPairingWarnings)
            {
                warning = new RepeatedWarning();
                _pairingWarnings[host] = warning;
            }

            return warning;
        }
    }

    /// <summary>Accepts without blocking, waiting for the listening socket's next edge on the I/O thread.</summary>
    private async Task<NetSocket> AcceptOnIoThreadAsync(IoReadiness readiness)
    {
        while (true)
        {
            _stop.Token.ThrowIfCancellationRequested();
            var edges = readiness.ReadEdges;
            var error = _listener.TryAccept(out var peer);
            if (error == SocketError.Success)
            {
                return peer!;
            }

            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }

            await readiness.WaitAsync(write: false, edges, _stop.Token).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(Connection connection, StreamPipe pipe)
    {
        // Connection.RunAsync moves to its I/O thread (or the pool) at once: the accept loop goes on.
        await connection.RunAsync().ConfigureAwait(false);
        pipe.Terminate();
        lock (_lock)
        {
            var removed = _connections.Remove(connection);
            Debug.Assert(removed, "a connection is registered before its run can end");
        }
    }
}
