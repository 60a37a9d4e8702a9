namespace Baton.Wire.Mechanisms;

/// <summary>
/// The ZAP handler's answer (RFC 27): status code "200" lets the peer in, "300" (temporary), "400"
/// (refused) and "500" (handler error) keep it out; <see cref="UserId"/> and <see cref="Metadata"/> (ZMTP
/// metadata bytes) are then visible on every message the peer sends.
/// </summary>
internal sealed record ZapReply(string StatusCode, string StatusText, string UserId, byte[] Metadata)
{
    /// <summary>True for status code 200.</summary>
    public bool Allowed => StatusCode == "200";
}
