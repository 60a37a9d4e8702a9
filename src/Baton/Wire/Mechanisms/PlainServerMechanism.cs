namespace Baton.Wire.Mechanisms;

/// <summary>The PLAIN server (RFC 24): checks HELLO's credentials with the ZAP handler, then WELCOME, INITIATE, READY.</summary>
internal sealed class PlainServerMechanism : Mechanism
{
    public override string Name => "PLAIN";

    public override bool AsServer => true;

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
        => throw new NotImplementedException("PLAIN is being built");

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
        => throw new NotImplementedException();
}
