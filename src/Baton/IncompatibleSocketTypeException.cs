namespace Baton;

/// <summary>Two socket types that ZeroMQ does not allow to talk were paired (for example PUSH with SUB).</summary>
public sealed class IncompatibleSocketTypeException : BatonException
{
    /// <summary>Creates the exception for the pairing of <paramref name="local"/> with <paramref name="peer"/>.</summary>
    public IncompatibleSocketTypeException(string local, string peer)
        : base($"A {local} socket cannot talk to a {peer} socket.")
    {
        LocalType = local;
        PeerType = peer;
    }

    /// <summary>Our socket's type.</summary>
    public string LocalType { get; }

    /// <summary>The peer's socket type.</summary>
    public string PeerType { get; }
}
