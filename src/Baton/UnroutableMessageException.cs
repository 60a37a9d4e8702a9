namespace Baton;

/// <summary>A ROUTER with <c>RouterMandatory</c> was asked to send to an identity it has no peer for.</summary>
public sealed class UnroutableMessageException : BatonException
{
    /// <summary>Creates the exception for the given identity.</summary>
    public UnroutableMessageException(ReadOnlySpan<byte> identity)
        : base($"No peer with identity {Convert.ToHexString(identity)} is connected.")
    {
        Identity = identity.ToArray();
    }

    /// <summary>The identity that could not be routed.</summary>
    public byte[] Identity { get; }
}
