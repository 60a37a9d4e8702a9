using Baton.Messages;

namespace Baton.Sockets;

/// <summary>PUSH: sends round-robin to its PULL peers, waiting at HWM or while it has none; cannot receive.</summary>
public sealed class PushSocket : ZmqSocket
{
    private readonly LoadBalancer _balancer = new();

    /// <summary>Creates a PUSH socket.</summary>
    public PushSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Push, options, context)
    {
    }

    /// <inheritdoc />
    public override bool CanReceive => false;

    private protected override bool TrySendCore(MessageBody message) => _balancer.TrySend(Pipes, message, out _);

    private protected override bool TrySendCore(ReadOnlySpan<byte> frame) => _balancer.TrySend(Pipes, frame);
}
