using Baton.Internal;

namespace Baton.Security;

/// <summary>
/// A CURVE key pair (Curve25519, as crypto_box uses it): a 32-byte public key, and the 32-byte secret key
/// that goes with it, or none for a peer's public key only. Give <see cref="SecretKey"/> to
/// <c>SocketSecurity.CurveServer</c> or <c>CurveClient</c>, and <see cref="PublicKey"/> to the other side.
/// </summary>
/// <example>
/// <code>
/// var server = CurveKeyPair.Generate();
/// CurveKeyFiles.Write("keys", "server", server);   // keys/server.key and keys/server.key_secret
/// Console.WriteLine(server.PublicKeyZ85);
/// </code>
/// </example>
public sealed class CurveKeyPair
{
    /// <summary>The length of a CURVE key in bytes.</summary>
    public const int KeyLength = Sodium.KeyBytes;

    private readonly byte[] _publicKey;
    private readonly byte[]? _secretKey;

    private CurveKeyPair(byte[] publicKey, byte[]? secretKey)
    {
        _publicKey = publicKey;
        _secretKey = secretKey;
        PublicKeyZ85 = Z85Codec.Encode(publicKey);
    }

    /// <summary>The 32-byte public key (a copy).</summary>
    public byte[] PublicKey => (byte[])_publicKey.Clone();

    /// <summary>The 32-byte secret key (a copy), or null when only the public key is known.</summary>
    public byte[]? SecretKey => (byte[]?)_secretKey?.Clone();

    /// <summary>The public key as 40 Z85 characters, as pyzmq's and libzmq's tools write it.</summary>
    public string PublicKeyZ85 { get; }

    /// <summary>The secret key as 40 Z85 characters, or null when only the public key is known.</summary>
    public string? SecretKeyZ85 => _secretKey is null ? null : Z85Codec.Encode(_secretKey);

    /// <summary>True when the pair holds its secret key.</summary>
    public bool HasSecretKey => _secretKey is not null;

    /// <summary>A new random key pair (libsodium's crypto_box_keypair, as zmq_curve_keypair).</summary>
    public static CurveKeyPair Generate()
    {
        var publicKey = new byte[KeyLength];
        var secretKey = new byte[KeyLength];
        Sodium.KeyPair(publicKey, secretKey);
        return new CurveKeyPair(publicKey, secretKey);
    }

    /// <summary>The pair of <paramref name="secretKey"/>: its public key is derived (as zmq_curve_public).</summary>
    /// <exception cref="ArgumentException">Not 32 bytes.</exception>
    public static CurveKeyPair FromSecretKey(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length != KeyLength)
        {
            throw new ArgumentException($"A CURVE secret key is {KeyLength} bytes; got {secretKey.Length}.", nameof(secretKey));
        }

        var secret = secretKey.ToArray();
        var publicKey = new byte[KeyLength];
        Sodium.PublicKeyOf(secret, publicKey);
        return new CurveKeyPair(publicKey, secret);
    }

    /// <summary>The pair of a secret key given as its 40 Z85 characters.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="secretKeyZ85"/> is null.</exception>
    /// <exception cref="FormatException">Not 40 characters of Z85.</exception>
    public static CurveKeyPair FromSecretKey(string secretKeyZ85) => FromSecretKey(DecodeKey(secretKeyZ85, "secret"));

    /// <summary>A public key alone (a peer's), with no secret key.</summary>
    /// <exception cref="ArgumentException">Not 32 bytes.</exception>
    public static CurveKeyPair FromPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != KeyLength)
        {
            throw new ArgumentException($"A CURVE public key is {KeyLength} bytes; got {publicKey.Length}.", nameof(publicKey));
        }

        return new CurveKeyPair(publicKey.ToArray(), null);
    }

    /// <summary>A public key alone, given as its 40 Z85 characters.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="publicKeyZ85"/> is null.</exception>
    /// <exception cref="FormatException">Not 40 characters of Z85.</exception>
    public static CurveKeyPair FromPublicKey(string publicKeyZ85) => FromPublicKey(DecodeKey(publicKeyZ85, "public"));

    /// <summary>The public key's Z85 text; never the secret key.</summary>
    public override string ToString() => PublicKeyZ85;

    /// <summary>A 32-byte key from 40 Z85 characters.</summary>
    /// <exception cref="FormatException">Any other text.</exception>
    internal static byte[] DecodeKey(string z85, string which)
    {
        ArgumentNullException.ThrowIfNull(z85);
        if (z85.Length != 40)
        {
            throw new FormatException($"A CURVE {which} key in Z85 is 40 characters; got {z85.Length}.");
        }

        try
        {
            return Z85.Decode(z85);
        }
        catch (FormatException e)
        {
            throw new FormatException($"The CURVE {which} key is not valid Z85: {e.Message}", e);
        }
    }
}
