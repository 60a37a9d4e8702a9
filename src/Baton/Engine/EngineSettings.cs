using Baton.Wire;
using Baton.Wire.Mechanisms;

namespace Baton.Engine;

/// <summary>
/// The part of a socket's options that pipes and connections use, with the socket's type as the wire
/// names it. The socket builds it from its options (Engine may not name them) whenever they change.
/// </summary>
internal sealed record EngineSettings
{
    /// <summary>The owning socket's type, announced in the handshake and checked against the peer's.</summary>
    public required PeerType SocketType { get; init; }

    /// <summary>Messages a pipe queues for its peer before it is full; 0 = no limit.</summary>
    public int SendHighWatermark { get; init; }

    /// <summary>Messages of one peer that may wait to be received before its reads pause; 0 = no limit.</summary>
    public int ReceiveHighWatermark { get; init; }

    /// <summary>The Identity announced to peers, if any.</summary>
    public byte[]? Identity { get; init; }

    /// <summary>The security mechanism of every connection.</summary>
    public required MechanismFactory Mechanism { get; init; }

    /// <summary>The ZAP domain (RFC 27) of the owner's server handshakes; empty = none (NULL then skips ZAP, as libzmq).</summary>
    public string ZapDomain { get; init; } = "";

    /// <summary>The largest message accepted from a peer, in bytes; negative = no limit.</summary>
    public long MaxMessageSize { get; init; }

    /// <summary>The most frames a peer's message may have; negative = no limit.</summary>
    public int MaxFramesPerMessage { get; init; }

    /// <summary>How long a handshake may take; zero = no limit.</summary>
    public TimeSpan HandshakeInterval { get; init; }

    /// <summary>How often to PING a quiet peer; zero = no heartbeats.</summary>
    public TimeSpan HeartbeatInterval { get; init; }

    /// <summary>How long a peer may stay silent after a PING before it is dropped.</summary>
    public TimeSpan HeartbeatTimeout { get; init; }

    /// <summary>The time-to-live a PING asks the peer to apply to us.</summary>
    public TimeSpan HeartbeatTtl { get; init; }
}
