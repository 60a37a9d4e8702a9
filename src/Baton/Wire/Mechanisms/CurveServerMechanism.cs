namespace Baton.Wire.Mechanisms;

/// <summary>The CURVE server (RFC 26 CurveZMQ over RFC 25 ZMTP-CURVE).</summary>
internal sealed class CurveServerMechanism : Mechanism
{
    public override string Name => "CURVE";

    public override bool AsServer => true;

    public override bool TransformsBytes => true;

    /// <summary>Makes the mechanisms of one server socket, which share its long-term key (and what else the server keeps per socket).</summary>
    public static Func<Mechanism> CreateFactory(byte[] secretKey)
        => () => throw new NotImplementedException($"CURVE is being built ({secretKey.Length})");

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
        => throw new NotImplementedException();

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
        => throw new NotImplementedException();
}
