using Baton.Messages;

namespace Baton.Sockets;

/// <summary>PULL: fair-queues messages from its PUSH peers; cannot send.</summary>
public sealed class PullSocket : ZmqSocket
{
    /// <summary>Creates a PULL socket.</summary>
    public PullSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Pull, options, context)
    {
    }

    /// <inheritdoc />
    public override bool CanSend => false;

    private protected override bool TrySendCore(MessageBody message) => throw new NotSupportedException();
}
