using Baton.Wire;

namespace Baton.Sockets;

/// <summary>The public <see cref="ZmqSocketType"/> over Wire's names and compatibility table (<see cref="PeerTypes"/>).</summary>
internal static class SocketTypes
{
    public static string WireName(ZmqSocketType type) => PeerTypes.WireName(ToWire(type));

    /// <summary>Parses a type name in any case (as the CLI and the wire give it).</summary>
    public static bool TryParse(string name, out ZmqSocketType type)
    {
        var parsed = PeerTypes.TryParse(name, out var peerType);
        type = (ZmqSocketType)peerType;
        return parsed;
    }

    public static bool AreCompatible(ZmqSocketType local, ZmqSocketType peer) => PeerTypes.AreCompatible(ToWire(local), ToWire(peer));

    /// <summary>The type as Wire names it. The two enums share values (see PeerType); out-of-range values stay out of range and fail there.</summary>
    public static PeerType ToWire(ZmqSocketType type) => (PeerType)type;
}
