namespace Baton.Sockets;

/// <summary>What happened to a socket's endpoint or peer (after libzmq's socket monitor events).</summary>
public enum SocketEventKind
{
    /// <summary>A bind succeeded; the endpoint is the one bound.</summary>
    Listening,

    /// <summary>A listener accepted a connection (the handshake follows).</summary>
    Accepted,

    /// <summary>A connect attempt failed; the socket retries after the reconnect interval.</summary>
    ConnectRetried,

    /// <summary>A peer completed the ZMTP handshake and takes part in routing.</summary>
    HandshakeSucceeded,

    /// <summary>A peer broke the protocol or was refused (bad greeting, wrong mechanism, invalid pairing, oversized message, ...).</summary>
    PeerDropped,

    /// <summary>A connected peer went away (it closed, or the network failed).</summary>
    Disconnected,

    /// <summary>A listener stopped (unbind or close).</summary>
    Closed,
}
