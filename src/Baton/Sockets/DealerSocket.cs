using Baton.Messages;

namespace Baton.Sockets;

/// <summary>DEALER: sends round-robin and fair-queues replies, with no envelope handling of its own.</summary>
public sealed class DealerSocket : ZmqSocket
{
    private readonly LoadBalancer _balancer = new();

    /// <summary>Creates a DEALER socket.</summary>
    public DealerSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Dealer, options, context)
    {
    }

    private protected override bool TrySendCore(MessageBody message) => _balancer.TrySend(Pipes, message, out _);

    private protected override bool TrySendCore(ReadOnlySpan<byte> frame) => _balancer.TrySend(Pipes, frame);
}
