using Baton.Wire;
using Xunit;
using Baton.Sockets;

namespace Baton.Tests.Wire;

/// <summary>Wire's socket types mirror the public enum, and the compatibility table is RFC 37's.</summary>
public class PeerTypesTests
{
    [Fact]
    public void PeerType_MirrorsThePublic_SocketType()
    {
        Assert.Equal(Enum.GetNames<ZmqSocketType>(), Enum.GetNames<PeerType>());
        foreach (var type in Enum.GetValues<ZmqSocketType>())
        {
            Assert.Equal(type.ToString(), ((PeerType)type).ToString());
        }
    }

    [Fact]
    public void Names_RoundTrip_InAnyCase()
    {
        foreach (var type in Enum.GetValues<PeerType>())
        {
            var name = PeerTypes.WireName(type);
            Assert.True(PeerTypes.TryParse(name.ToLowerInvariant(), out var parsed));
            Assert.Equal(type, parsed);
        }

        Assert.False(PeerTypes.TryParse("TEAPOT", out _));
    }

    [Fact]
    public void Compatibility_IsSymmetric_AndMatchesRfc37()
    {
        foreach (var a in Enum.GetValues<PeerType>())
        {
            foreach (var b in Enum.GetValues<PeerType>())
            {
                Assert.Equal(PeerTypes.AreCompatible(a, b), PeerTypes.AreCompatible(b, a));
            }
        }

        Assert.True(PeerTypes.AreCompatible(PeerType.Req, PeerType.Router));
        Assert.True(PeerTypes.AreCompatible(PeerType.XPub, PeerType.Sub));
        Assert.False(PeerTypes.AreCompatible(PeerType.Push, PeerType.Push));
        Assert.False(PeerTypes.AreCompatible(PeerType.Pub, PeerType.Pull));
    }
}
