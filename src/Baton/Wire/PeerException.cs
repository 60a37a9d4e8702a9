namespace Baton.Wire;

/// <summary>A peer broke the protocol or a rule of ours; the connection is dropped with this reason.</summary>
internal sealed class PeerException(string reason, bool fatal = false) : Exception(reason)
{
    /// <summary>True when the peer sent ERROR: ZMTP says do not reconnect (RFC 37, ERROR command).</summary>
    public bool Fatal { get; } = fatal;
}
