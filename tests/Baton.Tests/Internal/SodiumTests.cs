using Baton.Internal;
using Xunit;

namespace Baton.Tests.Internal;

public sealed class SodiumTests
{
    [Fact]
    public void Box_OpensWithThePeersKeys_AndNotWithOthers()
    {
        var (alicePublic, aliceSecret) = (new byte[32], new byte[32]);
        var (bobPublic, bobSecret) = (new byte[32], new byte[32]);
        Sodium.KeyPair(alicePublic, aliceSecret);
        Sodium.KeyPair(bobPublic, bobSecret);
        var derived = new byte[32];
        Sodium.PublicKeyOf(aliceSecret, derived);
        Assert.Equal(alicePublic, derived);

        var nonce = new byte[Sodium.NonceBytes];
        Sodium.RandomBytes(nonce);
        var plain = "hello, bob"u8.ToArray();
        var box = new byte[plain.Length + Sodium.MacBytes];
        Assert.True(Sodium.Box(box, plain, nonce, bobPublic, aliceSecret));

        var opened = new byte[plain.Length];
        Assert.True(Sodium.Open(opened, box, nonce, alicePublic, bobSecret));
        Assert.Equal(plain, opened);

        box[^1] ^= 1;
        Assert.False(Sodium.Open(opened, box, nonce, alicePublic, bobSecret));
    }

    [Fact]
    public void Box_InPlace_WithAPrecomputedKey()
    {
        var (pk, sk) = (new byte[32], new byte[32]);
        Sodium.KeyPair(pk, sk);
        var shared = new byte[32];
        Assert.True(Sodium.BeforeNm(shared, pk, sk));
        var nonce = new byte[Sodium.NonceBytes];
        var buffer = new byte[100 + Sodium.MacBytes];
        for (var i = 0; i < 100; i++)
        {
            buffer[Sodium.MacBytes + i] = (byte)i;
        }

        Sodium.Box(buffer, buffer.AsSpan(Sodium.MacBytes, 100), nonce, shared);
        Assert.True(Sodium.Open(buffer.AsSpan(0, 100), buffer, nonce, shared));
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal((byte)i, buffer[i]);
        }
    }

    [Fact]
    public void Z85_RoundTripsTheRfcExample()
    {
        // RFC 32's test vector.
        byte[] data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
        Assert.Equal("HelloWorld", Z85Codec.Encode(data));
        var decoded = new byte[8];
        Assert.True(Z85Codec.TryDecode("HelloWorld", decoded, out var written));
        Assert.Equal(8, written);
        Assert.Equal(data, decoded);
        Assert.False(Z85Codec.TryDecode("Hello Worl", decoded, out _));
    }
}
