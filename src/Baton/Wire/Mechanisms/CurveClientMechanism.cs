namespace Baton.Wire.Mechanisms;

/// <summary>The CURVE client (RFC 26 CurveZMQ over RFC 25 ZMTP-CURVE).</summary>
internal sealed class CurveClientMechanism(byte[] secretKey, byte[] serverPublicKey) : Mechanism
{
    public override string Name => "CURVE";

    public override bool TransformsBytes => true;

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
        => throw new NotImplementedException($"CURVE is being built ({secretKey.Length}, {serverPublicKey.Length})");

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
        => throw new NotImplementedException();
}
