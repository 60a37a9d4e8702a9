namespace Baton.Wire;

/// <summary>
/// The socket types as ZMTP names them (RFC 37 "Socket-Type" and the RFCs of each pattern). Wire may
/// not name the public <c>Sockets.SocketType</c>; the values are the same, in the same order, and a
/// test holds them together.
/// </summary>
internal enum PeerType
{
    Pair,
    Pub,
    Sub,
    XPub,
    XSub,
    Req,
    Rep,
    Dealer,
    Router,
    Push,
    Pull,
}
