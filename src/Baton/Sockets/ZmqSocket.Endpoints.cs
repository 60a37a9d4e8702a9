using Baton.Engine;
using Baton.Transports;

namespace Baton.Sockets;

// Bind, connect, unbind, disconnect: one list of endpoint handles; and who is connected.
public abstract partial class ZmqSocket
{
    private readonly Lock _endpointsLock = new();
    private readonly List<EndpointHandle> _endpoints = [];

    /// <summary>
    /// Binds to <paramref name="endpoint"/> and returns the endpoint actually bound: for
    /// <c>tcp://*:0</c> or <c>tcp://127.0.0.1:*</c> it names the port the system chose.
    /// </summary>
    /// <exception cref="InvalidEndpointException">The endpoint is malformed or cannot be bound.</exception>
    /// <exception cref="EndpointInUseException">Another socket holds the address.</exception>
    public string Bind(string endpoint)
    {
        ThrowIfClosed();
        FreezeOptions();
        var parsed = Endpoint.Parse(endpoint, forBind: true);
        EndpointHandle handle;
        if (parsed.Kind == TransportKind.Inproc)
        {
            Context.Inproc.Bind(parsed.Address, this, endpoint);
            handle = new InprocBindHandle(this, parsed.Address, endpoint);
        }
        else
        {
            handle = ListenerHandle.Bind(this, parsed);
        }

        lock (_endpointsLock)
        {
            _endpoints.Add(handle);
        }

        var bound = handle.ResolvedEndpoint;
        LastEndpoint = bound;
        Raise(SocketEventKind.Listening, bound);
        return bound;
    }

    /// <summary>
    /// Connects to <paramref name="endpoint"/>. The peer need not exist yet: the socket connects in
    /// the background and reconnects with backoff whenever the connection drops.
    /// </summary>
    /// <exception cref="InvalidEndpointException">The endpoint is malformed.</exception>
    /// <exception cref="IncompatibleSocketTypeException">An inproc peer of an incompatible type is bound there.</exception>
    public void Connect(string endpoint)
    {
        ThrowIfClosed();
        FreezeOptions();
        var parsed = Endpoint.Parse(endpoint, forBind: false);
        if (parsed.Kind == TransportKind.Inproc)
        {
            Context.Inproc.Connect(parsed.Address, this, endpoint);
            lock (_endpointsLock)
            {
                _endpoints.Add(new InprocConnectHandle(this, parsed.Address, endpoint));
            }

            return;
        }

        var connector = new ConnectorHandle(this, parsed);
        lock (_endpointsLock)
        {
            _endpoints.Add(connector);
        }

        connector.Start();
    }

    /// <summary>Stops listening on an endpoint given to <see cref="Bind"/> (as given or as returned) and drops its peers.</summary>
    /// <exception cref="InvalidEndpointException">The socket is not bound there.</exception>
    public void Unbind(string endpoint)
    {
        ThrowIfClosed();
        var handle = TakeEndpoint(endpoint, bound: true) ?? throw new InvalidEndpointException(endpoint, "this socket is not bound there");
        handle.CloseAsync().GetAwaiter().GetResult();
    }

    /// <summary>Stops connecting to an endpoint given to <see cref="Connect"/> and drops that peer.</summary>
    /// <exception cref="InvalidEndpointException">The socket is not connected there.</exception>
    public void Disconnect(string endpoint)
    {
        ThrowIfClosed();
        var handle = TakeEndpoint(endpoint, bound: false) ?? throw new InvalidEndpointException(endpoint, "this socket is not connected there");
        handle.CloseAsync().GetAwaiter().GetResult();
    }

    /// <summary>Removes and returns the bind (or connect) that <paramref name="endpoint"/> names, if any.</summary>
    private EndpointHandle? TakeEndpoint(string endpoint, bool bound)
    {
        lock (_endpointsLock)
        {
            var index = _endpoints.FindIndex(h => h.IsBind == bound && h.Matches(endpoint));
            if (index < 0)
            {
                return null;
            }

            var handle = _endpoints[index];
            _endpoints.RemoveAt(index);
            return handle;
        }
    }

    /// <summary>Removes and returns every endpoint, for closing.</summary>
    private EndpointHandle[] TakeAllEndpoints()
    {
        lock (_endpointsLock)
        {
            EndpointHandle[] all = [.. _endpoints];
            _endpoints.Clear();
            return all;
        }
    }

    /// <summary>Ends the inproc links made through <paramref name="endpoint"/> (unbind, disconnect).</summary>
    internal void TerminateInprocPipes(string endpoint)
    {
        foreach (var pipe in Pipes)
        {
            if (pipe is InprocPipe && pipe.Endpoint == endpoint)
            {
                pipe.Terminate();
            }
        }
    }

    /// <summary>The number of peers whose connection is complete (handshaken, or joined over inproc).</summary>
    public int ConnectedPeerCount
    {
        get
        {
            var count = 0;
            foreach (var pipe in Pipes)
            {
                if (pipe.IsConnected && pipe.PeerType is not null)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>Completes once at least one peer is connected, such as a sender that bound and must not talk to nobody.</summary>
    /// <exception cref="ObjectDisposedException">The socket closed first.</exception>
    public async Task WaitForPeerAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var signal = _peerConnected.Task;
            ThrowIfClosed();
            if (ConnectedPeerCount > 0)
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
