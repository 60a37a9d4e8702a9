using System.Collections.Concurrent;
using Baton.Messages;

namespace Baton.Engine;

/// <summary>
/// One end of an inproc link. Writing hands the message straight to the peer socket's inbound
/// queue: no connection, no encoding, no copy. The capacity is the sum of both HWMs, as in libzmq.
/// A connect that comes before the bind gets a pending end that queues up to the send HWM and
/// hands its backlog over, in order, when the bind joins it.
/// </summary>
internal sealed class InprocPipe : Pipe
{
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<MessageBody> _backlog = new();
    private readonly int _backlogCapacity;
    private InprocPipe? _peer;
    private volatile bool _linked;
    private volatile bool _terminated;

    private InprocPipe(IPipeOwner owner, string endpoint)
        : base(owner, endpoint)
    {
        _backlogCapacity = owner.Settings.SendHighWatermark;
    }

    public override bool IsConnected => _linked && !_terminated;

    /// <summary>Creates the connecting end before any socket is bound at the endpoint.</summary>
    public static InprocPipe CreatePending(IPipeOwner connecter, string endpoint) => new(connecter, endpoint);

    /// <summary>Makes the binder's end of a pending pipe; <see cref="Link"/> then joins them.</summary>
    public InprocPipe CreatePeer(IPipeOwner binder)
    {
        var a = Owner.Settings;
        var b = binder.Settings;
        var peer = new InprocPipe(binder, Endpoint);
        peer._peer = this;
        _peer = peer;
        peer.ReceiveCapacity = a.SendHighWatermark == 0 || b.ReceiveHighWatermark == 0
            ? 0
            : a.SendHighWatermark + b.ReceiveHighWatermark;
        ReceiveCapacity = b.SendHighWatermark == 0 || a.ReceiveHighWatermark == 0
            ? 0
            : b.SendHighWatermark + a.ReceiveHighWatermark;
        PeerType = b.SocketType;
        peer.PeerType = a.SocketType;
        PeerIdentity = b.Identity;
        peer.PeerIdentity = a.Identity;
        peer._linked = true;
        return peer;
    }

    /// <summary>Joins this end to its peer and hands over what was queued before the bind.</summary>
    public void Link()
    {
        var peer = _peer ?? throw new InvalidOperationException("CreatePeer first.");
        lock (_gate)
        {
            while (_backlog.TryDequeue(out var message))
            {
                peer.Owner.Deliver(peer, message);
            }

            _linked = true;
        }

        // Senders that waited for room while the bind was missing can go on now.
        Owner.OnWritable();
    }

    public override bool HasRoom
    {
        get
        {
            if (_terminated)
            {
                return false;
            }

            if (!_linked)
            {
                return _backlogCapacity <= 0 || _backlog.Count < _backlogCapacity;
            }

            var peer = _peer!;
            return !peer._terminated && !peer.IsInboundFull;
        }
    }

    public override bool TryWrite(MessageBody message)
    {
        if (!_linked)
        {
            lock (_gate)
            {
                if (!_linked)
                {
                    if (_terminated || (_backlogCapacity > 0 && _backlog.Count >= _backlogCapacity))
                    {
                        return false;
                    }

                    _backlog.Enqueue(message);
                    return true;
                }
            }
        }

        var peer = _peer!;
        if (_terminated || peer._terminated || peer.IsInboundFull)
        {
            return false;
        }

        peer.Owner.Deliver(peer, message);
        return true;
    }

    public override void WriteControl(MessageBody message)
    {
        // Before the link there is nobody to tell; subscriptions are resent when it is made.
        var peer = _peer;
        if (_linked && peer is not null && !_terminated && !peer._terminated)
        {
            peer.Owner.Deliver(peer, message);
        }
    }

    protected override void OnInboundSpace() => _peer?.Owner.OnWritable();

    public override void Terminate()
    {
        if (_terminated)
        {
            return;
        }

        _terminated = true;
        lock (_gate)
        {
            while (_backlog.TryDequeue(out var message))
            {
                message.Release();
            }
        }

        Owner.OnPipeTerminated(this);
        _peer?.Terminate();
        Owner.OnWritable();
    }
}
