using System.Text;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>
/// The properties every message from this peer carries (libzmq's <c>zmq_msg_gets</c>): made once, when the
/// handshake completes, and shared by reference, so delivering a message allocates nothing for them.
/// </summary>
internal sealed partial class Connection
{
    private MessageProperties? _properties;

    /// <summary>
    /// The peer's properties in libzmq's order of precedence (stream_engine_base.cpp, mechanism_ready):
    /// Peer-Address, then the ZAP handler's User-Id and metadata, then the peer's own handshake metadata.
    /// </summary>
    private MessageProperties BuildProperties(Metadata? peerMetadata)
    {
        var properties = new List<KeyValuePair<string, string>>();
        if (ZapAddress.Length > 0)
        {
            properties.Add(new(MessageProperties.PeerAddressName, ZapAddress));
        }

        if (_zapReply is { } zap)
        {
            properties.Add(new(MessageProperties.UserIdName, zap.UserId));

            // The ZAP client checked the metadata when the reply came.
            if (Metadata.TryParse(zap.Metadata, out var zapMetadata, out _))
            {
                AddAll(properties, zapMetadata, fromPeer: false);
            }
        }

        if (peerMetadata is not null)
        {
            AddAll(properties, peerMetadata, fromPeer: true);
        }

        return new MessageProperties(properties);
    }

    private static void AddAll(List<KeyValuePair<string, string>> properties, Metadata metadata, bool fromPeer)
    {
        foreach (var (name, value) in metadata.Properties)
        {
            // User-Id and Peer-Address are this side's word on the peer, never the peer's: without a ZAP verdict
            // (no handler bound) or an IP address (ipc), a peer naming them in its READY or INITIATE would forge them.
            if (fromPeer && (name.Equals(MessageProperties.UserIdName, StringComparison.OrdinalIgnoreCase)
                || name.Equals(MessageProperties.PeerAddressName, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            properties.Add(new(name, Encoding.UTF8.GetString(value)));
        }
    }
}
