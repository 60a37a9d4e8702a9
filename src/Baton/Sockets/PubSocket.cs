using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// PUB: fans each message out to the subscribers whose subscriptions match its first frame,
/// filtering here before anything is sent; a subscriber at HWM misses the message. Cannot receive.
/// </summary>
public class PubSocket : ZmqSocket
{
    private readonly SubscriptionSet _all = new();
    private readonly Internal.AsyncSignal _subscribed = new();

    /// <summary>Creates a PUB socket.</summary>
    public PubSocket(SocketOptions? options = null, Context? context = null)
        : this(ZmqSocketType.Pub, options, context)
    {
    }

    private protected PubSocket(ZmqSocketType type, SocketOptions? options, Context? context)
        : base(type, options, context)
    {
    }

    /// <inheritdoc />
    public override bool CanReceive => false;

    /// <summary>The number of distinct prefixes subscribed to across all connected subscribers.</summary>
    public int SubscriptionCount => _all.Count;

    /// <summary>
    /// Completes once some connected subscriber has a subscription, so that what is published next
    /// is not dropped for want of a listener (the "slow joiner" of the ZeroMQ guide).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The socket closed first.</exception>
    public async Task WaitForSubscriberAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var signal = _subscribed.Task;
            ThrowIfClosed();
            if (_all.Count > 0)
            {
                return;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private protected override bool TrySendCore(MessageBody message)
    {
        if (Distributor.Send(Pipes, message, filter: true) > 0)
        {
            CountDropped();
        }

        return true;
    }

    // A subscriber at HWM misses the message: a send never waits.
    private protected override bool IsSendReadyCore() => true;

    private protected override bool OnArrival(Pipe pipe, MessageBody message)
    {
        if (!IsSubscriptionChange(message))
        {
            return OnUpstreamData(message);
        }

        var body = message.FrameAt(0).Span;
        var prefix = body[1..];
        if (body[0] == 1)
        {
            var isNewForPipe = pipe.Subscriptions.Add(prefix) == 1;
            var isNewForSocket = isNewForPipe && _all.Add(prefix) == 1;
            OnSubscribe(message, isNewForSocket);
            _subscribed.Pulse();
        }
        else if (pipe.Subscriptions.RemoveAll(prefix))
        {
            OnUnsubscribe(prefix.ToArray(), _all.Remove(prefix) == 0);
        }

        message.Release();
        return false;
    }

    private protected override void OnDisconnected(Pipe pipe)
    {
        // The peer resends its subscriptions when it reconnects.
        foreach (var prefix in pipe.Subscriptions.Prefixes())
        {
            if (pipe.Subscriptions.RemoveAll(prefix))
            {
                OnUnsubscribe(prefix, _all.Remove(prefix) == 0);
            }
        }
    }

    private protected override void OnClosing() => _subscribed.Pulse();

    /// <summary>What to do with a subscriber's data message (PUB drops it).</summary>
    private protected virtual bool OnUpstreamData(MessageBody message) => false;

    /// <summary>A subscription arrived; <paramref name="isNew"/> when no other peer had it.</summary>
    private protected virtual void OnSubscribe(MessageBody message, bool isNew)
    {
    }

    /// <summary>A subscription went away; <paramref name="isLast"/> when no peer has it any more.</summary>
    private protected virtual void OnUnsubscribe(byte[] prefix, bool isLast)
    {
    }

    private static bool IsSubscriptionChange(MessageBody message)
    {
        if (message.FrameCount != 1 || message.FrameAt(0).Length == 0)
        {
            return false;
        }

        var first = message.FrameAt(0).Span[0];
        return message.Kind == MessageKind.Subscription || first <= 1;
    }
}
