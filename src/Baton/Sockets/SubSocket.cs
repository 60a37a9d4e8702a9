using System.Text;
using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// SUB: receives the messages whose first frame starts with one of its subscriptions. Subscriptions
/// go to every publisher (and again after each reconnect), which filters before sending.
/// </summary>
public class SubSocket : ZmqSocket
{
    private readonly Lock _lock = new();

    /// <summary>Creates a SUB socket.</summary>
    public SubSocket(SocketOptions? options = null, Context? context = null)
        : this(ZmqSocketType.Sub, options, context)
    {
    }

    private protected SubSocket(ZmqSocketType type, SocketOptions? options, Context? context)
        : base(type, options, context)
    {
    }

    private protected SubscriptionSet Subscriptions { get; } = new();

    /// <summary>Subscribes to messages starting with <paramref name="prefix"/>; an empty prefix matches everything.</summary>
    public void Subscribe(ReadOnlySpan<byte> prefix)
    {
        ThrowIfClosed();
        lock (_lock)
        {
            if (Subscriptions.Add(prefix) == 1)
            {
                SendUpstream(1, prefix);
            }
        }
    }

    /// <summary>Subscribes to messages starting with the UTF-8 bytes of <paramref name="prefix"/>.</summary>
    public void Subscribe(string prefix) => Subscribe(Encoding.UTF8.GetBytes(prefix));

    /// <summary>Drops one subscription to <paramref name="prefix"/> (subscriptions are counted).</summary>
    public void Unsubscribe(ReadOnlySpan<byte> prefix)
    {
        ThrowIfClosed();
        lock (_lock)
        {
            if (Subscriptions.Remove(prefix) == 0)
            {
                SendUpstream(0, prefix);
            }
        }
    }

    /// <summary>Drops one subscription to the UTF-8 bytes of <paramref name="prefix"/>.</summary>
    public void Unsubscribe(string prefix) => Unsubscribe(Encoding.UTF8.GetBytes(prefix));

    /// <inheritdoc />
    public override bool CanSend => false;

    private protected override bool TrySendCore(MessageBody message) => throw new NotSupportedException();

    private protected override bool OnArrival(Pipe pipe, MessageBody message)
        => message.FrameCount > 0 && Subscriptions.Matches(message.FrameAt(0).Span);

    private protected override bool OnConnected(Pipe pipe, out string? refusal)
    {
        lock (_lock)
        {
            foreach (var prefix in Subscriptions.Prefixes())
            {
                pipe.WriteControl(SubscriptionMessage(1, prefix));
            }
        }

        refusal = null;
        return true;
    }

    /// <summary>Sends a subscription change to every publisher.</summary>
    private protected void SendUpstream(byte kind, ReadOnlySpan<byte> prefix)
    {
        foreach (var pipe in Pipes)
        {
            pipe.WriteControl(SubscriptionMessage(kind, prefix));
        }
    }

    /// <summary>Runs <paramref name="action"/> under the subscription lock, so resends on connect keep their order.</summary>
    private protected void WithSubscriptionLock(Action action)
    {
        lock (_lock)
        {
            action();
        }
    }

    private static MessageBody SubscriptionMessage(byte kind, ReadOnlySpan<byte> prefix)
    {
        var body = new byte[prefix.Length + 1];
        body[0] = kind;
        prefix.CopyTo(body.AsSpan(1));
        return MessageBody.Of(new Frame(body), MessageKind.Subscription);
    }
}
