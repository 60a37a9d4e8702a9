using System.Net;
using System.Net.Sockets;
using Baton.Engine;
using Baton.Internal;
using Baton.Sockets;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Transports;

/// <summary>A bound tcp or ipc endpoint: accepts peers and runs a connection for each.</summary>
internal sealed class StreamListener
{
    private readonly NetSocket _listener;
    private readonly ZmqSocket _owner;
    private readonly string? _ipcPath;
    private IpcPath.FileIdentity? _ipcIdentity;
    private int _ipcReleased;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<Connection, Task> _connections = [];
    private readonly Task _acceptLoop;

    // Handshakes in progress hold memory and a timer each; beyond this many, accepting pauses (peers wait
    // in the system's backlog) until one completes or fails, so a flood of half-open greetings is bounded.
    private readonly SemaphoreSlim _handshakeSlots = new(MaxPendingHandshakes);

    /// <summary>Most handshakes in progress per listener.</summary>
    public const int MaxPendingHandshakes = 1024;

    private StreamListener(NetSocket listener, ZmqSocket owner, string requested, string bound, string? ipcPath)
    {
        _listener = listener;
        _owner = owner;
        RequestedEndpoint = requested;
        BoundEndpoint = bound;
        _ipcPath = ipcPath;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>The endpoint as the user gave it.</summary>
    public string RequestedEndpoint { get; }

    /// <summary>The endpoint actually bound (port and path resolved).</summary>
    public string BoundEndpoint { get; }

    public static StreamListener Bind(ZmqSocket owner, Endpoint endpoint)
    {
        var options = owner.Options;
        if (endpoint.Kind == TransportKind.Tcp)
        {
            var address = endpoint.ResolveAsync(options.IPv6, CancellationToken.None).GetAwaiter().GetResult()[0];
            var socket = new NetSocket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                socket.Bind(new IPEndPoint(address, endpoint.Port));
                socket.Listen(); // the system maximum: a burst of thousands of connects is not refused
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw e.SocketErrorCode == SocketError.AddressAlreadyInUse
                    ? new EndpointInUseException(endpoint.Text, e)
                    : new InvalidEndpointException(endpoint.Text, $"cannot bind: {e.SocketErrorCode}", e);
            }

            var bound = Endpoint.FormatTcp((IPEndPoint)socket.LocalEndPoint!);
            return new StreamListener(socket, owner, endpoint.Text, bound, null);
        }

        var path = endpoint.Address == "*"
            ? Path.Combine(Path.GetTempPath(), $"baton-{Guid.NewGuid():N}.ipc")
            : endpoint.Address;
        var ipc = new NetSocket(AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, ProtocolType.Unspecified);
        IpcPath.FileIdentity? identity;
        try
        {
            // A live listener's path is refused; a file left by a socket that died is taken over.
            identity = IpcPath.BindAndListen(ipc, path, endpoint.Text);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or EndpointInUseException)
        {
            ipc.Dispose();
            throw e switch
            {
                EndpointInUseException inUse => inUse,
                SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } => new EndpointInUseException(endpoint.Text, e),
                _ => new InvalidEndpointException(endpoint.Text, $"cannot bind: {e.Message}", e),
            };
        }

        return new StreamListener(ipc, owner, endpoint.Text, "ipc://" + path, path) { _ipcIdentity = identity };
    }

    /// <summary>Stops accepting and removes the ipc file; connections already made stay.</summary>
    public void StopAccepting()
    {
        if (!_stop.IsCancellationRequested)
        {
            _owner.Raise(SocketEventKind.Closed, BoundEndpoint);
        }

        _stop.Cancel();
        _listener.Dispose();
        if (_ipcPath is not null && Interlocked.Exchange(ref _ipcReleased, 1) == 0)
        {
            // Only if it is still our file: another listener may have taken the path over since.
            IpcPath.Release(_ipcPath, _ipcIdentity);
        }
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
    public async Task CloseAsync()
    {
        StopAccepting();
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
        await Task.Yield();
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

                peer = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
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
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }

            var options = _owner.Options;
            var settings = _owner.EngineSettings;
            StreamTuning.Configure(peer, options);
            _owner.Raise(SocketEventKind.Accepted, BoundEndpoint);
            var pipe = new StreamPipe(_owner, BoundEndpoint, settings);
            var connection = new Connection(peer, _owner, pipe, settings, _owner.Logger, () => _handshakeSlots.Release());
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

    private async Task RunAsync(Connection connection, StreamPipe pipe)
    {
        await Task.Yield();
        await connection.RunAsync().ConfigureAwait(false);
        pipe.Terminate();
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }
}
