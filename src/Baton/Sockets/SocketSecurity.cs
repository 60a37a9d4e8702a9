using System.Security.Cryptography;
using Baton.Internal;
using Baton.Wire.Mechanisms;

namespace Baton.Sockets;

/// <summary>
/// The security mechanism of a socket's connections (ZMTP's NULL, PLAIN or CURVE), set through
/// <see cref="SocketOptions.Security"/>. Both ends must use the same mechanism; one is the server, the other
/// the client (which side binds does not matter). A server consults the ZAP authenticator bound in its
/// <see cref="Context"/> (<c>Baton.Security.ZapAuthenticator</c>), as libzmq does: a PLAIN server refuses
/// everyone without one; a CURVE server without one lets in any client that knows its public key.
/// </summary>
/// <example>
/// <code>
/// var server = new RouterSocket(new SocketOptions { Security = SocketSecurity.CurveServer(serverKeys.SecretKey) });
/// var client = new DealerSocket(new SocketOptions { Security = SocketSecurity.CurveClient(clientKeys.SecretKey, serverKeys.PublicKey) });
/// </code>
/// </example>
public sealed class SocketSecurity
{
    private readonly Func<string, MechanismFactory> _factory;

    private SocketSecurity(string mechanism, bool isServer, Func<string, MechanismFactory> factory)
    {
        Mechanism = mechanism;
        IsServer = isServer;
        _factory = factory;
    }

    /// <summary>No security (ZMTP's NULL mechanism), the default: anyone who reaches the endpoint gets in, and bytes travel in the clear.</summary>
    public static SocketSecurity Null { get; } = new("NULL", false, static zapDomain => zapDomain.Length == 0 ? MechanismFactory.Null : new(false, () => new NullMechanism(zapRequired: true)));

    /// <summary>The mechanism's name as the greeting carries it: "NULL", "PLAIN" or "CURVE".</summary>
    public string Mechanism { get; }

    /// <summary>True for the server side of PLAIN or CURVE.</summary>
    public bool IsServer { get; }

    /// <summary>
    /// A PLAIN client (RFC 24): sends <paramref name="userName"/> and <paramref name="password"/> in the clear
    /// for the server's ZAP authenticator to check. Use it on trusted networks only, or not at all: CURVE encrypts.
    /// </summary>
    /// <exception cref="ArgumentException">A name or password longer than 255 UTF-8 bytes.</exception>
    public static SocketSecurity PlainClient(string userName, string password)
    {
        var user = PlainField(userName, nameof(userName));
        var pass = PlainField(password, nameof(password));
        return new("PLAIN", false, _ => new MechanismFactory(false, () => new PlainClientMechanism(user, pass)));
    }

    /// <summary>A PLAIN server (RFC 24): a client gets in when the ZAP authenticator of the socket's context accepts its user name and password; with no authenticator, no one does.</summary>
    public static SocketSecurity PlainServer() => new("PLAIN", true, static _ => new MechanismFactory(false, static () => new PlainServerMechanism()));

    /// <summary>
    /// A CURVE server (RFC 26, 25): encrypts and authenticates every connection with the server's long-term
    /// <paramref name="secretKey"/> (32 bytes, or 40 Z85 characters); clients must know its public key. The ZAP
    /// authenticator of the socket's context, if any, decides which client keys get in.
    /// </summary>
    /// <exception cref="ArgumentException">Not a 32-byte key or its 40-character Z85 text.</exception>
    /// <exception cref="PlatformNotSupportedException">libsodium cannot be loaded on this platform.</exception>
    public static SocketSecurity CurveServer(ReadOnlySpan<byte> secretKey)
    {
        var secret = Z85Codec.Key(secretKey, nameof(secretKey));
        Sodium.EnsureInitialized();
        return new("CURVE", true, _ => new MechanismFactory(true, CurveServerMechanism.CreateFactory(secret)));
    }

    /// <inheritdoc cref="CurveServer(ReadOnlySpan{byte})"/>
    public static SocketSecurity CurveServer(string secretKey)
    {
        var secret = Z85Codec.Key(secretKey, nameof(secretKey));
        try
        {
            return CurveServer(secret);
        }
        finally
        {
            // CurveServer kept its own copy: this one must not linger on the heap.
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// A CURVE client (RFC 26, 25) with its long-term <paramref name="secretKey"/>, connecting only to the server
    /// that holds the secret key of <paramref name="serverPublicKey"/> (each 32 bytes, or 40 Z85 characters).
    /// </summary>
    /// <exception cref="ArgumentException">Not a 32-byte key or its 40-character Z85 text.</exception>
    /// <exception cref="PlatformNotSupportedException">libsodium cannot be loaded on this platform.</exception>
    public static SocketSecurity CurveClient(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> serverPublicKey)
    {
        var secret = Z85Codec.Key(secretKey, nameof(secretKey));
        var server = Z85Codec.Key(serverPublicKey, nameof(serverPublicKey));

        // Without libsodium, fail here, where the caller can see it, not at the first connection.
        Sodium.EnsureInitialized();
        return new("CURVE", false, _ => new MechanismFactory(true, () => new CurveClientMechanism(secret, server)));
    }

    /// <inheritdoc cref="CurveClient(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    public static SocketSecurity CurveClient(string secretKey, string serverPublicKey)
    {
        var secret = Z85Codec.Key(secretKey, nameof(secretKey));
        try
        {
            return CurveClient(secret, Z85Codec.Key(serverPublicKey, nameof(serverPublicKey)));
        }
        finally
        {
            // CurveClient kept its own copy: this one must not linger on the heap.
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>The mechanism and side, never a key: "NULL", "PLAIN client", "CURVE server"...</summary>
    public override string ToString() => Mechanism == "NULL" ? "NULL" : $"{Mechanism} {(IsServer ? "server" : "client")}";

    /// <summary>The factory of one socket's mechanisms, given its ZAP domain.</summary>
    internal MechanismFactory CreateFactory(string zapDomain) => _factory(zapDomain);

    private static byte[] PlainField(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        if (bytes.Length > 255)
        {
            throw new ArgumentException($"PLAIN carries at most 255 bytes; this is {bytes.Length} bytes in UTF-8.", paramName);
        }

        return bytes;
    }
}
