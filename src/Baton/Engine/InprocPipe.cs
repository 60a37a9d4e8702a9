using Baton.Messages;
using Baton.Sockets;

namespace Baton.Engine;

/// <summary>
/// One end of an inproc link. Writing hands the message straight to the peer socket's inbound
/// queue: no connection, no encoding, no copy. The capacity is the sum of both HWMs, as in libzmq.
/// </summary>
internal sealed class InprocPipe : Pipe
{
    private InprocPipe _peer = null!;
    private volatile bool _terminated;

    private InprocPipe(ZmqSocket owner, string endpoint)
        : base(owner, endpoint)
    {
    }

    public override bool IsConnected => !_terminated;

    /// <summary>Creates the two ends of a link between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static (InprocPipe A, InprocPipe B) CreatePair(ZmqSocket a, ZmqSocket b, string endpoint)
    {
        var pipeA = new InprocPipe(a, endpoint);
        var pipeB = new InprocPipe(b, endpoint);
        pipeA._peer = pipeB;
        pipeB._peer = pipeA;
        var capacityToB = a.Options.SendHighWatermark == 0 || b.Options.ReceiveHighWatermark == 0
            ? 0
            : a.Options.SendHighWatermark + b.Options.ReceiveHighWatermark;
        var capacityToA = b.Options.SendHighWatermark == 0 || a.Options.ReceiveHighWatermark == 0
            ? 0
            : b.Options.SendHighWatermark + a.Options.ReceiveHighWatermark;
        pipeB.ReceiveCapacity = capacityToB;
        pipeA.ReceiveCapacity = capacityToA;
        pipeA.PeerType = b.Type;
        pipeB.PeerType = a.Type;
        pipeA.PeerIdentity = b.Options.Identity;
        pipeB.PeerIdentity = a.Options.Identity;
        return (pipeA, pipeB);
    }

    public override bool TryWrite(Message message)
    {
        var peer = _peer;
        if (_terminated || peer._terminated || peer.IsInboundFull)
        {
            return false;
        }

        peer.Owner.Deliver(peer, message);
        return true;
    }

    public override void WriteControl(Message message)
    {
        var peer = _peer;
        if (!_terminated && !peer._terminated)
        {
            peer.Owner.Deliver(peer, message);
        }
    }

    protected override void OnInboundSpace() => _peer.Owner.PulseWritable();

    public override void Terminate()
    {
        if (_terminated)
        {
            return;
        }

        _terminated = true;
        Owner.DetachPipe(this);
        _peer.Terminate();
        Owner.PulseWritable();
    }
}
