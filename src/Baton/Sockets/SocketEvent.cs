namespace Baton.Sockets;

/// <summary>One socket event: its kind, the endpoint it concerns, the peer's address and, for failures, the reason.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Endpoint">The endpoint (bound, connected, or the listener a peer came through).</param>
/// <param name="Reason">Why a peer was dropped, disconnected or a connect failed; null otherwise.</param>
/// <param name="PeerAddress">
/// For events about one tcp or ipc peer (<see cref="SocketEventKind.Accepted"/>,
/// <see cref="SocketEventKind.HandshakeSucceeded"/>, <see cref="SocketEventKind.PeerDropped"/>,
/// <see cref="SocketEventKind.Disconnected"/>), the address at the other end: <c>tcp://127.0.0.1:54321</c>
/// (the peer's own port, for a peer that connected to us), or the ipc socket file as <c>ipc://path</c>
/// (an accepted ipc peer has no address of its own: the bound path stands for it). Null for the
/// other events, and for inproc peers.
/// </param>
public readonly record struct SocketEvent(SocketEventKind Kind, string Endpoint, string? Reason = null, string? PeerAddress = null);
