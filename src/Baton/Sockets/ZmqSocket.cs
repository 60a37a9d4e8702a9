using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Baton.Engine;
using Baton.Internal;
using Baton.Messages;
using Baton.Transports;
using Microsoft.Extensions.Logging;

namespace Baton.Sockets;

/// <summary>
/// A ZeroMQ socket. Every member is safe to call from many threads at once; the unit of sending and
/// receiving is a whole <see cref="Message"/>. Create one with the type's class (for example
/// <see cref="PushSocket"/>) or <see cref="Create"/>.
/// </summary>
public abstract partial class ZmqSocket : IDisposable, IAsyncDisposable
{
    private readonly FairQueue _inbound = new();

    private readonly EventCount _writable = new();
    private readonly AsyncSignal _peerConnected = new();
    private readonly Lock _pipesLock = new();
    private readonly Lock _endpointsLock = new();
    private readonly List<StreamListener> _listeners = [];
    private readonly List<StreamConnector> _connectors = [];
    private readonly List<(string Name, string Endpoint)> _inprocBinds = [];
    private readonly List<(string Name, string Endpoint)> _inprocConnects = [];
    private Pipe[] _pipes = [];
    private readonly LocalPipe _local;
    private readonly Lock _optionsLock = new();
    private SocketOptions _options;
    private EngineSettings _engineSettings;
    private volatile bool _closed;
    private int _disposeStarted;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private protected ZmqSocket(SocketType type, SocketOptions? options, Context? context)
    {
        Type = type;
        _options = options ?? SocketOptions.Default;
        Context = context ?? Context.Default;
        _engineSettings = BuildEngineSettings(_options);
        _local = new LocalPipe(this);
        MetricTag = BatonMetrics.Tag(SocketTypes.WireName(type));
        Logger = Context.LoggerFactory.CreateLogger("Baton.Sockets." + SocketTypes.WireName(type));
        Context.Register(this);
    }

    /// <summary>Creates a socket of <paramref name="type"/>.</summary>
    public static ZmqSocket Create(SocketType type, SocketOptions? options = null, Context? context = null) => type switch
    {
        SocketType.Pair => new PairSocket(options, context),
        SocketType.Pub => new PubSocket(options, context),
        SocketType.Sub => new SubSocket(options, context),
        SocketType.XPub => new XPubSocket(options, context),
        SocketType.XSub => new XSubSocket(options, context),
        SocketType.Req => new ReqSocket(options, context),
        SocketType.Rep => new RepSocket(options, context),
        SocketType.Dealer => new DealerSocket(options, context),
        SocketType.Router => new RouterSocket(options, context),
        SocketType.Push => new PushSocket(options, context),
        SocketType.Pull => new PullSocket(options, context),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown socket type."),
    };

    /// <summary>Parses a socket type name in any case ("push", "ROUTER").</summary>
    public static SocketType ParseType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SocketTypes.TryParse(name, out var type)
            ? type
            : throw new ArgumentException($"Unknown socket type '{name}' (expected PAIR, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER, PUSH or PULL).", nameof(name));
    }

    /// <summary>The socket's type.</summary>
    public SocketType Type { get; }

    /// <summary>The context the socket belongs to.</summary>
    public Context Context { get; }

    /// <summary>The options; a change applies to binds and connects made afterwards.</summary>
    public SocketOptions Options
    {
        get => Volatile.Read(ref _options);
        set
        {
            ArgumentNullException.ThrowIfNull(value);

            // Together, so that Engine's view never lags behind for long.
            lock (_optionsLock)
            {
                Volatile.Write(ref _options, value);
                Volatile.Write(ref _engineSettings, BuildEngineSettings(value));
            }
        }
    }

    /// <summary>The endpoint of the last bind, with the port or path resolved (like ZMQ_LAST_ENDPOINT).</summary>
    public string? LastEndpoint { get; private set; }

    internal ILogger Logger { get; }

    /// <summary>The socket-type tag of this socket's metrics.</summary>
    internal KeyValuePair<string, object?> MetricTag { get; private set; }

    private void CountSent()
    {
        if (BatonMetrics.MessagesSent.Enabled)
        {
            BatonMetrics.MessagesSent.Add(1, MetricTag);
        }
    }

    /// <summary>Counts a message the socket type dropped by design.</summary>
    private protected void CountDropped()
    {
        if (BatonMetrics.MessagesDropped.Enabled)
        {
            BatonMetrics.MessagesDropped.Add(1, MetricTag);
        }
    }

    internal Pipe[] Pipes => Volatile.Read(ref _pipes);

    internal bool IsClosed => _closed;

    /// <summary>
    /// Binds to <paramref name="endpoint"/> and returns the endpoint actually bound: for
    /// <c>tcp://*:0</c> or <c>tcp://127.0.0.1:*</c> it names the port the system chose.
    /// </summary>
    /// <exception cref="InvalidEndpointException">The endpoint is malformed or cannot be bound.</exception>
    /// <exception cref="EndpointInUseException">Another socket holds the address.</exception>
    public string Bind(string endpoint)
    {
        ThrowIfClosed();
        var parsed = Endpoint.Parse(endpoint, forBind: true);
        string bound;
        if (parsed.Kind == TransportKind.Inproc)
        {
            Context.Inproc.Bind(parsed.Address, this, endpoint);
            lock (_endpointsLock)
            {
                _inprocBinds.Add((parsed.Address, endpoint));
            }

            bound = endpoint;
        }
        else
        {
            var listener = StreamListener.Bind(this, parsed);
            lock (_endpointsLock)
            {
                _listeners.Add(listener);
            }

            bound = listener.BoundEndpoint;
        }

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
        var parsed = Endpoint.Parse(endpoint, forBind: false);
        if (parsed.Kind == TransportKind.Inproc)
        {
            Context.Inproc.Connect(parsed.Address, this, endpoint);
            lock (_endpointsLock)
            {
                _inprocConnects.Add((parsed.Address, endpoint));
            }

            return;
        }

        var connector = new StreamConnector(this, parsed);
        lock (_endpointsLock)
        {
            _connectors.Add(connector);
        }

        connector.Start();
    }

    /// <summary>Stops listening on an endpoint given to <see cref="Bind"/> (as given or as returned) and drops its peers.</summary>
    /// <exception cref="InvalidEndpointException">The socket is not bound there.</exception>
    public void Unbind(string endpoint)
    {
        ThrowIfClosed();
        StreamListener? listener = null;
        (string Name, string Endpoint)? inproc = null;
        lock (_endpointsLock)
        {
            listener = _listeners.Find(l => l.RequestedEndpoint == endpoint || l.BoundEndpoint == endpoint);
            if (listener is not null)
            {
                _listeners.Remove(listener);
            }
            else
            {
                var index = _inprocBinds.FindIndex(b => b.Endpoint == endpoint);
                if (index >= 0)
                {
                    inproc = _inprocBinds[index];
                    _inprocBinds.RemoveAt(index);
                }
            }
        }

        if (listener is not null)
        {
            listener.CloseAsync().GetAwaiter().GetResult();
        }
        else if (inproc is { } bind)
        {
            Context.Inproc.Unbind(bind.Name, this);
            TerminateInprocPipes(bind.Endpoint);
        }
        else
        {
            throw new InvalidEndpointException(endpoint, "this socket is not bound there");
        }
    }

    /// <summary>Stops connecting to an endpoint given to <see cref="Connect"/> and drops that peer.</summary>
    /// <exception cref="InvalidEndpointException">The socket is not connected there.</exception>
    public void Disconnect(string endpoint)
    {
        ThrowIfClosed();
        StreamConnector? connector = null;
        (string Name, string Endpoint)? inproc = null;
        lock (_endpointsLock)
        {
            connector = _connectors.Find(c => c.Endpoint == endpoint);
            if (connector is not null)
            {
                _connectors.Remove(connector);
            }
            else
            {
                var index = _inprocConnects.FindIndex(c => c.Endpoint == endpoint);
                if (index >= 0)
                {
                    inproc = _inprocConnects[index];
                    _inprocConnects.RemoveAt(index);
                }
            }
        }

        if (connector is not null)
        {
            connector.StopAsync().GetAwaiter().GetResult();
        }
        else if (inproc is { } connect)
        {
            Context.Inproc.CancelConnect(connect.Name, this);
            TerminateInprocPipes(connect.Endpoint);
        }
        else
        {
            throw new InvalidEndpointException(endpoint, "this socket is not connected there");
        }
    }

    private void TerminateInprocPipes(string endpoint)
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

    // ---- sending ----

    /// <summary>
    /// Sends a message, waiting while the socket's type says to wait (PUSH, DEALER, REQ and PAIR at
    /// HWM or with no peer). The socket takes ownership of the message and its buffers: using the
    /// message afterwards throws <see cref="ObjectDisposedException"/>. If the send is cancelled or
    /// throws, the message stays the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The message has no frames.</exception>
    /// <exception cref="NotSupportedException">This socket type cannot send.</exception>
    /// <exception cref="InvalidOperationException">The send breaks the type's state machine (REQ, REP).</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed, or the message was already sent or disposed.</exception>
    public ValueTask SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        ThrowIfUnsendable(message);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotSend();
        var body = message.TakeForSend(nameof(message));
        var epoch = _writable.Epoch;
        if (TrySendTaken(message, body))
        {
            CountSent();
            return default;
        }

        return SendSlowAsync(message, body, epoch, cancellationToken);
    }

    /// <summary>Refuses a message that was already sent or disposed, or that has no frames.</summary>
    private static void ThrowIfUnsendable(Message message)
    {
        if (message.Body.FrameCount == 0)
        {
            ThrowHelper.ThrowEmptyMessage(nameof(message));
        }
    }

    /// <summary>Routes a body the socket has taken; if routing throws, the message goes back to the caller.</summary>
    private bool TrySendTaken(Message message, MessageBody body)
    {
        try
        {
            return TrySendCore(body);
        }
        catch
        {
            message.Restore(body);
            throw;
        }
    }

    /// <summary>Sends one frame holding a copy of <paramref name="data"/>; the copy is pooled, so steady traffic allocates nothing.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotSend();
        var epoch = _writable.Epoch;
        if (TrySendCore(data.Span))
        {
            CountSent();
            return default;
        }

        // Our own copy: nobody holds a handle to it, and a send that does not happen drops it.
        return SendSlowAsync(default, MessageBody.Copy(data.Span), epoch, cancellationToken);
    }

    /// <summary>Waits for room, then sends; <paramref name="message"/> is default when the body is the socket's own copy.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(Message message, MessageBody body, long epoch, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _writable.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
                epoch = _writable.Epoch;
                ThrowIfClosed();
            }
            catch
            {
                GiveBack(message, body);
                throw;
            }

            if (TrySendTaken(message, body))
            {
                CountSent();
                return;
            }
        }
    }

    /// <summary>A send that did not happen: the caller's message becomes usable again; a copy of ours is dropped.</summary>
    private static void GiveBack(Message message, MessageBody body)
    {
        if (message.IsDefault)
        {
            body.Release();
        }
        else
        {
            message.Restore(body);
        }
    }

    /// <summary>Sends a message, blocking the calling thread while the socket must wait.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public void Send(Message message) => TrySend(message, Timeout.InfiniteTimeSpan);

    /// <summary>Sends one frame holding a pooled copy of <paramref name="data"/>, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public void Send(ReadOnlySpan<byte> data) => TrySend(data, Timeout.InfiniteTimeSpan);

    /// <summary>Sends a message, waiting at most <paramref name="timeout"/>; false when it timed out (the message stays the caller's).</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public bool TrySend(Message message, TimeSpan timeout)
    {
        ThrowIfUnsendable(message);
        ThrowIfClosed();
        ThrowIfCannotSend();
        var body = message.TakeForSend(nameof(message));
        return TrySendBody(message, body, timeout);
    }

    private bool TrySendBody(Message message, MessageBody body, TimeSpan timeout)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var epoch = _writable.Epoch;
            if (TrySendTaken(message, body))
            {
                CountSent();
                return true;
            }

            if (!BlockUntil(_writable, epoch, deadline) || _closed)
            {
                GiveBack(message, body);
                ThrowIfClosed();
                return false;
            }
        }
    }

    /// <summary>Sends one frame holding a pooled copy of <paramref name="data"/>, waiting at most <paramref name="timeout"/>; false when it timed out.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public bool TrySend(ReadOnlySpan<byte> data, TimeSpan timeout)
    {
        ThrowIfClosed();
        ThrowIfCannotSend();
        if (TrySendCore(data))
        {
            CountSent();
            return true;
        }

        return timeout != TimeSpan.Zero && TrySendBody(default, MessageBody.Copy(data), timeout);
    }

    private static bool BlockUntil(EventCount events, long epoch, long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return events.Wait(epoch, Timeout.InfiniteTimeSpan, CancellationToken.None);
        }

        var left = deadline - Environment.TickCount64;
        return left > 0 && events.Wait(epoch, TimeSpan.FromMilliseconds(left), CancellationToken.None);
    }

    // ---- receiving ----

    /// <summary>Receives the next message, waiting until one arrives. The message is the caller's: dispose it.</summary>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    public ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        // As Channel.ReadAsync: a cancelled token wins even over a message that is already queued.
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotReceive();
        BeforeReceive();
        var epoch = _inbound.Epoch;
        if (TryDequeue(out var body))
        {
            return new ValueTask<Message>(new Message(body));
        }

        return ReceiveSlowAsync(epoch, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Message> ReceiveSlowAsync(long epoch, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfReceiveClosed();
            await _inbound.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
            epoch = _inbound.Epoch;
            if (TryDequeue(out var body))
            {
                return new Message(body);
            }
        }
    }

    /// <summary>Receives the next message, blocking the calling thread until one arrives.</summary>
    /// <inheritdoc cref="ReceiveAsync(CancellationToken)" path="/exception"/>
    public Message Receive()
    {
        TryReceive(out var message, Timeout.InfiniteTimeSpan);
        return message;
    }

    /// <summary>Receives a message if one comes within <paramref name="timeout"/>; otherwise <paramref name="message"/> is <c>default</c>.</summary>
    /// <inheritdoc cref="ReceiveAsync(CancellationToken)" path="/exception"/>
    public bool TryReceive(out Message message, TimeSpan timeout)
    {
        ThrowIfClosed();
        ThrowIfCannotReceive();
        BeforeReceive();
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var epoch = _inbound.Epoch;
            if (TryDequeue(out var body))
            {
                message = new Message(body);
                return true;
            }

            ThrowIfReceiveClosed();
            if (!BlockUntil(_inbound.Arrivals, epoch, deadline))
            {
                message = default;
                return false;
            }
        }
    }

    private void ThrowIfReceiveClosed()
    {
        if (_inbound.IsCompleted)
        {
            throw new ObjectDisposedException(GetType().Name, "The socket was closed while waiting to receive.");
        }
    }

    /// <summary>Receives messages until cancelled or the socket closes.</summary>
    public async IAsyncEnumerable<Message> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!_closed)
        {
            Message message;
            try
            {
                message = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }

            yield return message;
        }
    }

    private bool TryDequeue([NotNullWhen(true)] out MessageBody? message)
    {
        while (_inbound.TryDequeue(out var candidate, out var pipe))
        {
            if (OnReceive(ref candidate, pipe == _local ? null : pipe))
            {
                if (BatonMetrics.MessagesReceived.Enabled)
                {
                    BatonMetrics.MessagesReceived.Add(1, MetricTag);
                }

                message = candidate;
                return true;
            }

            candidate.Release();
        }

        message = null;
        return false;
    }

    // ---- what each socket type decides ----

    /// <summary>Routes a message; true when it was queued or deliberately dropped, false to wait for room.</summary>
    private protected abstract bool TrySendCore(MessageBody message);

    /// <summary>Sends a one-frame message given as bytes without waiting; types that can, encode it with no message object.</summary>
    private protected virtual bool TrySendCore(ReadOnlySpan<byte> frame)
    {
        var message = MessageBody.Copy(frame);
        if (TrySendCore(message))
        {
            return true;
        }

        message.Release();
        return false;
    }

    /// <summary>Screens an arriving message on the engine's thread; false consumes it (subscriptions, filters).</summary>
    private protected virtual bool OnArrival(Pipe pipe, MessageBody message) => true;

    /// <summary>Screens a message leaving the receive queue; false drops it (REQ/REP envelopes).</summary>
    private protected virtual bool OnReceive(ref MessageBody message, Pipe? pipe) => true;

    /// <summary>Checks the receive state before waiting (REQ, REP).</summary>
    private protected virtual void BeforeReceive()
    {
    }

    /// <summary>A peer completed its handshake; false refuses it with a reason.</summary>
    private protected virtual bool OnConnected(Pipe pipe, out string? refusal)
    {
        refusal = null;
        return true;
    }

    /// <summary>A peer's connection ended (its pipe may survive for a reconnect).</summary>
    private protected virtual void OnDisconnected(Pipe pipe)
    {
    }

    /// <summary>The socket starts closing: wake whatever waits on type-specific conditions.</summary>
    private protected virtual void OnClosing()
    {
    }

    /// <summary>A pipe left the socket for good.</summary>
    private protected virtual void OnDetached(Pipe pipe)
    {
    }

    private protected virtual bool CanSend => true;

    private protected virtual bool CanReceive => true;

    private void ThrowIfCannotSend()
    {
        if (!CanSend)
        {
            throw new NotSupportedException($"A {SocketTypes.WireName(Type)} socket cannot send.");
        }
    }

    private void ThrowIfCannotReceive()
    {
        if (!CanReceive)
        {
            throw new NotSupportedException($"A {SocketTypes.WireName(Type)} socket cannot receive.");
        }
    }

    private protected void ThrowIfClosed()
    {
        if (_closed)
        {
            throw new ObjectDisposedException(GetType().Name, "The socket is closed.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{SocketTypes.WireName(Type)} {LastEndpoint}";

}
