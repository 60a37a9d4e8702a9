namespace Baton.Wire.Mechanisms;

/// <summary>The PLAIN client (RFC 24): HELLO with user name and password, WELCOME, INITIATE, READY.</summary>
internal sealed class PlainClientMechanism(byte[] userName, byte[] password) : Mechanism
{
    public override string Name => "PLAIN";

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
        => throw new NotImplementedException($"PLAIN is being built ({userName.Length}, {password.Length})");

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
        => throw new NotImplementedException();
}
