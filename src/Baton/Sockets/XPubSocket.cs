using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// XPUB: a PUB that hands subscription messages (first byte 1 = subscribe, 0 = unsubscribe, then the
/// prefix) to the application: new subscriptions only, or every one with <see cref="SocketOptions.XPubVerbose"/>.
/// Other messages from subscribers are received as they are.
/// </summary>
public sealed class XPubSocket : PubSocket
{
    /// <summary>Creates an XPUB socket.</summary>
    public XPubSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.XPub, options, context)
    {
    }

    /// <inheritdoc />
    public override bool CanReceive => true;

    private protected override bool OnUpstreamData(MessageBody message) => true;

    private protected override void OnSubscribe(MessageBody message, bool isNew)
    {
        if (isNew || Options.XPubVerbose)
        {
            Enqueue(null, MessageBody.Copy(message.FrameAt(0).Span));
        }
    }

    private protected override void OnUnsubscribe(byte[] prefix, bool isLast)
    {
        if (isLast)
        {
            var body = new byte[prefix.Length + 1];
            prefix.CopyTo(body, 1);
            Enqueue(null, MessageBody.Of(new Frame(body)));
        }
    }
}
