using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// XSUB: subscribes by sending messages (first byte 1 = subscribe, 0 = unsubscribe, then the prefix)
/// and receives everything its publishers send; other sent messages go to every publisher.
/// </summary>
public sealed class XSubSocket : SubSocket
{
    /// <summary>Creates an XSUB socket.</summary>
    public XSubSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.XSub, options, context)
    {
    }

    /// <inheritdoc />
    public override bool CanSend => true;

    private protected override bool OnArrival(Pipe pipe, MessageBody message) => true;

    // Sends go to every publisher that has room: a send never waits.
    private protected override bool IsSendReadyCore() => true;

    private protected override bool TrySendCore(MessageBody message)
    {
        if (message.FrameCount == 1 && message.FrameAt(0).Length > 0 && message.FrameAt(0).Span[0] <= 1)
        {
            var body = message.FrameAt(0).Span;
            var prefix = body[1..].ToArray();
            var kind = body[0];
            WithSubscriptionLock(() =>
            {
                if (kind == 1)
                {
                    // Forward every subscribe: de-duplicating here would break XPUB_VERBOSE upstream (as in libzmq).
                    Subscriptions.Add(prefix);
                    SendUpstream(1, prefix);
                }
                else if (Subscriptions.Remove(prefix) == 0)
                {
                    SendUpstream(0, prefix);
                }
            });
            message.Release();
            return true;
        }

        if (Distributor.Send(Pipes, message, filter: false) > 0)
        {
            CountDropped();
        }

        return true;
    }
}
