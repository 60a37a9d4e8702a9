namespace Baton.Wire.Mechanisms;

/// <summary>
/// What a server mechanism asks the ZAP handler (RFC 27) about a peer: its mechanism name and
/// credentials (PLAIN: user name and password; CURVE: the client's 32-byte long-term public key; NULL: none).
/// The connection adds the domain, the peer's address and its identity.
/// </summary>
internal sealed class ZapRequest(string mechanism, IReadOnlyList<byte[]> credentials)
{
    /// <summary>"NULL", "PLAIN" or "CURVE".</summary>
    public string Mechanism { get; } = mechanism;

    /// <summary>The credential frames, in the order RFC 27 gives for the mechanism.</summary>
    public IReadOnlyList<byte[]> Credentials { get; } = credentials;
}
