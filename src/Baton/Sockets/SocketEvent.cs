namespace Baton.Sockets;

/// <summary>One socket event: its kind, the endpoint it concerns and, for failures, the reason.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Endpoint">The endpoint (bound, connected, or the listener a peer came through).</param>
/// <param name="Reason">Why a peer was dropped, disconnected or a connect failed; null otherwise.</param>
public readonly record struct SocketEvent(SocketEventKind Kind, string Endpoint, string? Reason = null);
