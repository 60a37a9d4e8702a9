namespace Baton.Wire.Mechanisms;

/// <summary>
/// The NULL mechanism (RFC 37 "The NULL Security Mechanism"): each side sends READY with its
/// metadata; ERROR instead means the peer refused. Bytes travel as they are.
/// </summary>
internal sealed class NullMechanism : Mechanism
{
    public override string Name => "NULL";

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
        => [Commands.Frame(Commands.Ready, localMetadata)];

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
    {
        switch (Commands.Parse(body, out var name, out var data))
        {
            case CommandName.Ready:
                if (!Metadata.TryParse(data, out var metadata, out var error))
                {
                    throw new PeerException($"malformed READY metadata: {error}");
                }

                return metadata;
            case CommandName.Error:
                throw new PeerException($"the peer refused the handshake: {Commands.ErrorReason(data)}", fatal: true);
            default:
                throw new PeerException($"unexpected command '{System.Text.Encoding.ASCII.GetString(name)}' during the handshake");
        }
    }
}
