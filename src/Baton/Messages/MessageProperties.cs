using System.Collections.Frozen;

namespace Baton.Messages;

/// <summary>
/// The properties of the connection a message came through, as libzmq's <c>zmq_msg_gets</c> sees them:
/// "Peer-Address", the ZAP handler's "User-Id" and metadata, and the peer's handshake metadata
/// ("Socket-Type", "Identity", ...). One instance per connection, made when its handshake completes and
/// shared by every message it delivers, so a message costs one reference. Names compare case-insensitively (RFC 37).
/// </summary>
internal sealed class MessageProperties
{
    /// <summary>The property libzmq names ZMQ_MSG_PROPERTY_USER_ID.</summary>
    public const string UserIdName = "User-Id";

    /// <summary>The property libzmq names ZMQ_MSG_PROPERTY_PEER_ADDRESS.</summary>
    public const string PeerAddressName = "Peer-Address";

    private readonly FrozenDictionary<string, string> _values;

    /// <summary>Takes the properties in order of precedence: a name seen again is ignored (as libzmq: address, then ZAP, then the peer's metadata).</summary>
    public MessageProperties(IEnumerable<KeyValuePair<string, string>> properties)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in properties)
        {
            values.TryAdd(name, value);
        }

        _values = values.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        UserId = Get(UserIdName);
    }

    /// <summary>The User-Id the ZAP handler gave the peer; null when no handler let it in.</summary>
    public string? UserId { get; }

    /// <summary>The value of <paramref name="name"/>, or null.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var value) ? value : null;
}
