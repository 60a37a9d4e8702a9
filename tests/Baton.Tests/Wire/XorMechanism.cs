using Baton.Wire;
using Baton.Wire.Mechanisms;

namespace Baton.Tests.Wire;

/// <summary>
/// A test mechanism that transforms bytes: NULL's handshake under the name "X-XOR", then every frame
/// body XORed with a key byte in both directions. Enough to prove that a transforming mechanism gets
/// every frame through the seam, per connection, at write time.
/// </summary>
internal sealed class XorMechanism : Mechanism
{
    public const byte Key = 0x5A;

    private readonly NullMechanism _handshake = new();

    /// <summary>Every XorMechanism made, to show that each connection gets its own.</summary>
    public static int Created;

    public XorMechanism() => Interlocked.Increment(ref Created);

    public static MechanismFactory Factory { get; } = new(transformsBytes: true, static () => new XorMechanism());

    public override string Name => "X-XOR";

    public override bool TransformsBytes => true;

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata) => _handshake.Start(localMetadata);

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies) => _handshake.OnHandshakeCommand(body, replies);

    public override int Encode(byte flags, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        var header = FrameEncoder.WriteHeader(destination, flags, body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            destination[header + i] = (byte)(body[i] ^ Key);
        }

        return header + body.Length;
    }

    public override int Decode(ref byte flags, Span<byte> body, out int start)
    {
        start = 0;
        for (var i = 0; i < body.Length; i++)
        {
            body[i] ^= Key;
        }

        return body.Length;
    }

    /// <summary>Applies the transform to bytes, for a raw peer.</summary>
    public static byte[] Xor(byte[] bytes) => bytes.Select(b => (byte)(b ^ Key)).ToArray();
}
