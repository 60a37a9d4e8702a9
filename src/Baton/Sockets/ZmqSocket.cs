using Baton.Engine;
using Baton.Internal;
using Baton.Messages;
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
    private readonly LocalPipe _local;
    private readonly Lock _optionsLock = new();
    private SocketOptions _options;
    private EngineSettings _engineSettings;
    private volatile bool _closed;
    private bool _optionsFrozen;
    private int _disposeStarted;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private protected ZmqSocket(ZmqSocketType type, SocketOptions? options, Context? context)
    {
        Type = type;
        _options = options ?? SocketOptions.Default;
        Context = context ?? Context.Default;
        _engineSettings = BuildEngineSettings(_options);
        _local = new LocalPipe(this);
        Metrics = Context.Metrics.ForSocketType(SocketTypes.WireName(type));
        Logger = Context.LoggerFactory.CreateLogger("Baton.Sockets." + SocketTypes.WireName(type));
        Context.Register(this);
    }

    /// <summary>Creates a socket of <paramref name="type"/>.</summary>
    public static ZmqSocket Create(ZmqSocketType type, SocketOptions? options = null, Context? context = null) => type switch
    {
        ZmqSocketType.Pair => new PairSocket(options, context),
        ZmqSocketType.Pub => new PubSocket(options, context),
        ZmqSocketType.Sub => new SubSocket(options, context),
        ZmqSocketType.XPub => new XPubSocket(options, context),
        ZmqSocketType.XSub => new XSubSocket(options, context),
        ZmqSocketType.Req => new ReqSocket(options, context),
        ZmqSocketType.Rep => new RepSocket(options, context),
        ZmqSocketType.Dealer => new DealerSocket(options, context),
        ZmqSocketType.Router => new RouterSocket(options, context),
        ZmqSocketType.Push => new PushSocket(options, context),
        ZmqSocketType.Pull => new PullSocket(options, context),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown socket type."),
    };

    /// <summary>Parses a socket type name in any case ("push", "ROUTER").</summary>
    public static ZmqSocketType ParseType(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SocketTypes.TryParse(name, out var type)
            ? type
            : throw new ArgumentException($"Unknown socket type '{name}' (expected PAIR, PUB, SUB, XPUB, XSUB, REQ, REP, DEALER, ROUTER, PUSH or PULL).", nameof(name));
    }

    /// <summary>The socket's type.</summary>
    public ZmqSocketType Type { get; }

    /// <summary>The context the socket belongs to.</summary>
    public Context Context { get; }

    /// <summary>
    /// The options. They may be replaced until the first <see cref="Bind"/> or <see cref="Connect"/>;
    /// from then on they are frozen, because endpoints, pipes and connections have taken their values
    /// (libzmq applies most later changes only to later connections, a common surprise; Baton refuses them).
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="InvalidOperationException">The socket has already bound or connected.</exception>
    public SocketOptions Options
    {
        get => Volatile.Read(ref _options);
        set
        {
            ArgumentNullException.ThrowIfNull(value);

            // Under a lock, so that racing setters cannot leave Engine's settings built from the other one's
            // options, and a setter racing the first bind or connect either lands before it or throws.
            lock (_optionsLock)
            {
                if (_optionsFrozen)
                {
                    throw new InvalidOperationException($"The options of this {SocketTypes.WireName(Type)} socket cannot change once it has bound or connected: set them before the first Bind or Connect (or pass them to the constructor).");
                }

                Volatile.Write(ref _options, value);
                Volatile.Write(ref _engineSettings, BuildEngineSettings(value));
            }
        }
    }

    /// <summary>Freezes the options: called by the first bind or connect, before it reads them.</summary>
    private void FreezeOptions()
    {
        lock (_optionsLock)
        {
            _optionsFrozen = true;
        }
    }

    /// <summary>The endpoint of the last bind, with the port or path resolved (like ZMQ_LAST_ENDPOINT).</summary>
    public string? LastEndpoint { get; private set; }

    internal ILogger Logger { get; }

    /// <summary>The instruments of this socket's type on its context's meter, held here so counting costs a field read.</summary>
    internal SocketMetrics Metrics { get; }

    private void CountSent()
    {
        var metrics = Metrics;
        if (metrics.MessagesSent.Enabled)
        {
            metrics.MessagesSent.Add(1, metrics.Tag);
        }
    }

    /// <summary>Counts a message the socket type dropped by design.</summary>
    private protected void CountDropped()
    {
        var metrics = Metrics;
        if (metrics.MessagesDropped.Enabled)
        {
            metrics.MessagesDropped.Add(1, metrics.Tag);
        }
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

    /// <summary>True when this socket type sends (false for PULL and SUB, whose send methods throw <see cref="NotSupportedException"/>).</summary>
    public virtual bool CanSend => true;

    /// <summary>True when this socket type receives (false for PUSH and PUB, whose receive methods throw <see cref="NotSupportedException"/>).</summary>
    public virtual bool CanReceive => true;

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
