using Baton.Engine;
using Baton.Internal;
using Baton.Messages;

namespace Baton.Sockets;

// What Engine calls: the socket as the owner of its pipes (IPipeOwner), and the pipe list routing reads.
public abstract partial class ZmqSocket : IPipeOwner
{
    private readonly Lock _pipesLock = new();

    // Copy on write under _pipesLock: routing reads it without a lock.
    private Pipe[] _pipes = [];

    /// <summary>The pipes of the connected (or, for a connecter, queueing) peers.</summary>
    internal Pipe[] Pipes => Volatile.Read(ref _pipes);

    /// <inheritdoc />
    EngineSettings IPipeOwner.Settings => EngineSettings;

    /// <inheritdoc />
    SocketMetrics IPipeOwner.Metrics => Metrics;

    /// <summary>The options as Engine needs them; rebuilt whenever <see cref="Options"/> is set.</summary>
    internal EngineSettings EngineSettings => Volatile.Read(ref _engineSettings);

    private EngineSettings BuildEngineSettings(SocketOptions options) => new()
    {
        SocketType = SocketTypes.ToWire(Type),
        SendHighWatermark = options.SendHighWatermark,
        ReceiveHighWatermark = options.ReceiveHighWatermark,
        Identity = options.Identity,
        Mechanism = options.Mechanism ?? options.Security.CreateFactory(options.ZapDomain),
        ZapDomain = options.ZapDomain,
        MaxMessageSize = options.MaxMessageSize,
        MaxFramesPerMessage = options.MaxFramesPerMessage,
        HandshakeInterval = options.HandshakeInterval,
        HeartbeatInterval = options.HeartbeatInterval,
        HeartbeatTimeout = options.HeartbeatTimeout,
        HeartbeatTtl = options.HeartbeatTtl,
    };

    /// <summary>A message arrived from <paramref name="pipe"/> (a subscription command, or an inproc sender).</summary>
    void IPipeOwner.Deliver(Pipe pipe, MessageBody message)
    {
        if (_closed || !OnArrival(pipe, message))
        {
            message.Release();
            return;
        }

        Enqueue(pipe, message);
    }

    /// <summary>The messages one read of the wire brought from <paramref name="pipe"/>: queued together, one hand-off for the lot.</summary>
    void IPipeOwner.DeliverBatch(Pipe pipe, Span<MessageBody> batch)
    {
        if (_closed || Options.Conflate)
        {
            foreach (var message in batch)
            {
                ((IPipeOwner)this).Deliver(pipe, message);
            }

            return;
        }

        var kept = 0;
        foreach (var message in batch)
        {
            if (OnArrival(pipe, message))
            {
                batch[kept++] = message;
            }
            else
            {
                message.Release();
            }
        }

        if (kept > 0 && !_inbound.EnqueueBatch(pipe, batch[..kept]))
        {
            foreach (var message in batch[..kept])
            {
                message.Release();
            }
        }
    }

    /// <inheritdoc />
    bool IPipeOwner.OnPipeConnected(Pipe pipe, out string? refusal) => OnPipeConnected(pipe, out refusal);

    /// <inheritdoc />
    void IPipeOwner.OnPipeDisconnected(Pipe pipe)
    {
        OnDisconnected(pipe);
        PulseWritable();
    }

    /// <inheritdoc />
    void IPipeOwner.OnPipeTerminated(Pipe pipe) => DetachPipe(pipe);

    /// <inheritdoc />
    void IPipeOwner.OnWritable() => PulseWritable();

    /// <inheritdoc />
    void IPipeOwner.OnHandshakeSucceeded(string endpoint, string? peerAddress) => Raise(SocketEventKind.HandshakeSucceeded, endpoint, peerAddress: peerAddress);

    /// <inheritdoc />
    void IPipeOwner.OnPeerGone(string endpoint, string? peerAddress, string reason, bool dropped) =>
        Raise(dropped ? SocketEventKind.PeerDropped : SocketEventKind.Disconnected, endpoint, reason, peerAddress);

    /// <summary>Puts a message in the receive queue; <paramref name="pipe"/> is null for messages the socket made itself.</summary>
    private protected void Enqueue(Pipe? pipe, MessageBody message)
    {
        if (_closed)
        {
            message.Release();
            return;
        }

        if (Options.Conflate)
        {
            while (_inbound.TryDequeue(out var stale, out _))
            {
                stale.Release();
            }
        }

        if (!_inbound.Enqueue(pipe ?? _local, message))
        {
            message.Release();
        }
    }

    /// <summary>Wakes senders waiting for room; once closed, also whoever waits for a peer.</summary>
    private void PulseWritable()
    {
        _writable.Notify();
        if (_closed)
        {
            _peerConnected.Pulse();
        }
    }

    internal void AttachPipe(Pipe pipe)
    {
        lock (_pipesLock)
        {
            if (Array.IndexOf(_pipes, pipe) >= 0)
            {
                return;
            }

            Volatile.Write(ref _pipes, [.. _pipes, pipe]);
        }

        PulseWritable();
    }

    /// <summary>A pipe ended for good: it leaves the routing.</summary>
    private void DetachPipe(Pipe pipe)
    {
        lock (_pipesLock)
        {
            var index = Array.IndexOf(_pipes, pipe);
            if (index < 0)
            {
                return;
            }

            var list = new List<Pipe>(_pipes);
            list.RemoveAt(index);
            Volatile.Write(ref _pipes, list.ToArray());
        }

        OnDisconnected(pipe);
        PulseWritable();
    }

    /// <summary>A peer finished its handshake on <paramref name="pipe"/> (or an inproc link was made); false refuses it.</summary>
    internal bool OnPipeConnected(Pipe pipe, out string? refusal)
    {
        // A lingering close still lets a connector's pipe with queued messages finish its handshake:
        // those messages wait for exactly this connection, and refusing it would lose them.
        if (_closed && pipe is not StreamPipe { IsTerminated: false, OutboundCount: > 0 })
        {
            refusal = "the socket is closing";
            return false;
        }

        if (!OnConnected(pipe, out refusal))
        {
            return false;
        }

        AttachPipe(pipe);
        _peerConnected.Pulse();
        return true;
    }

    internal void LogRefusedInproc(string endpoint, ZmqSocketType peerType)
    {
        var reason = $"invalid socket pairing: a {SocketTypes.WireName(Type)} socket cannot talk to a {SocketTypes.WireName(peerType)} socket";
        Log.PeerDropped(Logger, SocketTypes.WireName(Type), endpoint, reason);
        Raise(SocketEventKind.PeerDropped, endpoint, reason);
    }
}
