namespace Baton.Sockets;

/// <summary>Names on the wire and the compatibility table of RFC 37 / libzmq.</summary>
internal static class SocketTypes
{
    public static string WireName(SocketType type) => type switch
    {
        SocketType.Pair => "PAIR",
        SocketType.Pub => "PUB",
        SocketType.Sub => "SUB",
        SocketType.XPub => "XPUB",
        SocketType.XSub => "XSUB",
        SocketType.Req => "REQ",
        SocketType.Rep => "REP",
        SocketType.Dealer => "DEALER",
        SocketType.Router => "ROUTER",
        SocketType.Push => "PUSH",
        SocketType.Pull => "PULL",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Parses a type name in any case (as the CLI and the wire give it).</summary>
    public static bool TryParse(string name, out SocketType type)
    {
        switch (name.ToUpperInvariant())
        {
            case "PAIR": type = SocketType.Pair; return true;
            case "PUB": type = SocketType.Pub; return true;
            case "SUB": type = SocketType.Sub; return true;
            case "XPUB": type = SocketType.XPub; return true;
            case "XSUB": type = SocketType.XSub; return true;
            case "REQ": type = SocketType.Req; return true;
            case "REP": type = SocketType.Rep; return true;
            case "DEALER": type = SocketType.Dealer; return true;
            case "ROUTER": type = SocketType.Router; return true;
            case "PUSH": type = SocketType.Push; return true;
            case "PULL": type = SocketType.Pull; return true;
            default: type = default; return false;
        }
    }

    public static bool AreCompatible(SocketType local, SocketType peer) => local switch
    {
        SocketType.Pair => peer == SocketType.Pair,
        SocketType.Pub or SocketType.XPub => peer is SocketType.Sub or SocketType.XSub,
        SocketType.Sub or SocketType.XSub => peer is SocketType.Pub or SocketType.XPub,
        SocketType.Req => peer is SocketType.Rep or SocketType.Router,
        SocketType.Rep => peer is SocketType.Req or SocketType.Dealer,
        SocketType.Dealer => peer is SocketType.Rep or SocketType.Dealer or SocketType.Router,
        SocketType.Router => peer is SocketType.Req or SocketType.Dealer or SocketType.Router,
        SocketType.Push => peer == SocketType.Pull,
        SocketType.Pull => peer == SocketType.Push,
        _ => false,
    };
}
