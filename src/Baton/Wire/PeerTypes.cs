namespace Baton.Wire;

/// <summary>Socket-type names on the wire and which pairs may talk (RFC 37 "Socket-Type" table, as libzmq applies it).</summary>
internal static class PeerTypes
{
    public static string WireName(PeerType type) => type switch
    {
        PeerType.Pair => "PAIR",
        PeerType.Pub => "PUB",
        PeerType.Sub => "SUB",
        PeerType.XPub => "XPUB",
        PeerType.XSub => "XSUB",
        PeerType.Req => "REQ",
        PeerType.Rep => "REP",
        PeerType.Dealer => "DEALER",
        PeerType.Router => "ROUTER",
        PeerType.Push => "PUSH",
        PeerType.Pull => "PULL",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Parses a type name in any case (as the CLI and the wire give it).</summary>
    public static bool TryParse(string name, out PeerType type)
    {
        switch (name.ToUpperInvariant())
        {
            case "PAIR": type = PeerType.Pair; return true;
            case "PUB": type = PeerType.Pub; return true;
            case "SUB": type = PeerType.Sub; return true;
            case "XPUB": type = PeerType.XPub; return true;
            case "XSUB": type = PeerType.XSub; return true;
            case "REQ": type = PeerType.Req; return true;
            case "REP": type = PeerType.Rep; return true;
            case "DEALER": type = PeerType.Dealer; return true;
            case "ROUTER": type = PeerType.Router; return true;
            case "PUSH": type = PeerType.Push; return true;
            case "PULL": type = PeerType.Pull; return true;
            default: type = default; return false;
        }
    }

    public static bool AreCompatible(PeerType local, PeerType peer) => local switch
    {
        PeerType.Pair => peer == PeerType.Pair,
        PeerType.Pub or PeerType.XPub => peer is PeerType.Sub or PeerType.XSub,
        PeerType.Sub or PeerType.XSub => peer is PeerType.Pub or PeerType.XPub,
        PeerType.Req => peer is PeerType.Rep or PeerType.Router,
        PeerType.Rep => peer is PeerType.Req or PeerType.Dealer,
        PeerType.Dealer => peer is PeerType.Rep or PeerType.Dealer or PeerType.Router,
        PeerType.Router => peer is PeerType.Req or PeerType.Dealer or PeerType.Router,
        PeerType.Push => peer == PeerType.Pull,
        PeerType.Pull => peer == PeerType.Push,
        _ => false,
    };
}
