using Baton.Security;
using Xunit;

namespace Baton.Tests.Security;

public sealed class CurveKeyPairTests
{
    [Fact]
    public void Generate_GivesAPairWhosePublicKeyFollowsFromTheSecret()
    {
        var keys = CurveKeyPair.Generate();
        Assert.True(keys.HasSecretKey);
        Assert.Equal(32, keys.PublicKey.Length);
        Assert.Equal(32, keys.SecretKey!.Length);
        Assert.Equal(40, keys.PublicKeyZ85.Length);
        Assert.Equal(keys.PublicKey, Z85.Decode(keys.PublicKeyZ85));
        Assert.Equal(keys.SecretKey, Z85.Decode(keys.SecretKeyZ85!));
        Assert.NotEqual(keys.PublicKeyZ85, CurveKeyPair.Generate().PublicKeyZ85);

        Assert.Equal(keys.PublicKeyZ85, CurveKeyPair.FromSecretKey(keys.SecretKey).PublicKeyZ85);
        Assert.Equal(keys.PublicKeyZ85, CurveKeyPair.FromSecretKey(keys.SecretKeyZ85!).PublicKeyZ85);
        Assert.Equal(keys.PublicKeyZ85, keys.ToString());
    }

    [Fact]
    public void KeysAreCopies_AndAPublicKeyAloneHasNoSecret()
    {
        var keys = CurveKeyPair.Generate();
        keys.SecretKey![0] ^= 1;
        keys.PublicKey[0] ^= 1;
        Assert.Equal(keys.PublicKeyZ85, CurveKeyPair.FromSecretKey(keys.SecretKey!).PublicKeyZ85);

        var peer = CurveKeyPair.FromPublicKey(keys.PublicKeyZ85);
        Assert.False(peer.HasSecretKey);
        Assert.Null(peer.SecretKey);
        Assert.Null(peer.SecretKeyZ85);
        Assert.Equal(keys.PublicKey, peer.PublicKey);
    }

    [Fact]
    public void BadKeys_AreRefusedWithTheReason()
    {
        Assert.Contains("32 bytes; got 31", Assert.Throws<ArgumentException>(() => CurveKeyPair.FromSecretKey(new byte[31])).Message, StringComparison.Ordinal);
        Assert.Contains("40 characters; got 39", Assert.Throws<FormatException>(() => CurveKeyPair.FromSecretKey(new string('a', 39))).Message, StringComparison.Ordinal);
        Assert.Contains("not valid Z85", Assert.Throws<FormatException>(() => CurveKeyPair.FromPublicKey(new string(' ', 40))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgreesWithPyzmq_CurveKeypairAndCurvePublic()
    {
        var ours = CurveKeyPair.Generate();
        var output = await PythonScript.RunAsync(
            "import sys, zmq\nprint(zmq.curve_public(sys.argv[1].encode()).decode())\npub, sec = zmq.curve_keypair()\nprint(pub.decode())\nprint(sec.decode())",
            ours.SecretKeyZ85!);
        var lines = output.Split('\n');
        Assert.Equal(ours.PublicKeyZ85, lines[0]);
        Assert.Equal(lines[1], CurveKeyPair.FromSecretKey(lines[2]).PublicKeyZ85);
    }
}
