namespace Baton.Wire.Mechanisms;

/// <summary>
/// The PLAIN client (RFC 24, https://rfc.zeromq.org/spec/24/): HELLO with the user name and password,
/// then INITIATE with our metadata once the server says WELCOME, and READY with the server's metadata
/// ends the handshake. ERROR at any point means the server refused us: ZMTP says do not retry.
/// </summary>
internal sealed class PlainClientMechanism(byte[] userName, byte[] password) : Mechanism
{
    private State _state = State.WaitingForWelcome;
    private byte[] _localMetadata = [];

    private enum State
    {
        WaitingForWelcome,
        WaitingForReady,
        Done,
    }

    public override string Name => "PLAIN";

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
    {
        _localMetadata = localMetadata.ToArray();
        return [Commands.Frame(PlainCommands.Hello, PlainCommands.HelloData(userName, password))];
    }

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
    {
        if (PlainCommands.IsLibzmqError(body, out var libzmqError))
        {
            throw new PeerException($"the PLAIN server refused the handshake: {Commands.ErrorReason(libzmqError)}", fatal: true);
        }

        var command = PlainCommands.Parse(body, out var name, out var data);
        if (command == CommandName.Error)
        {
            throw new PeerException($"the PLAIN server refused the handshake: {Commands.ErrorReason(data)}", fatal: true);
        }

        switch (_state)
        {
            case State.WaitingForWelcome when PlainCommands.IsWelcome(name):
                if (!data.IsEmpty)
                {
                    throw new PeerException("malformed PLAIN WELCOME: it carries data");
                }

                replies.Add(Commands.Frame(PlainCommands.Initiate, _localMetadata));
                _state = State.WaitingForReady;
                return null;
            case State.WaitingForReady when command == CommandName.Ready:
                if (!Metadata.TryParse(data, out var metadata, out var error))
                {
                    throw new PeerException($"malformed PLAIN READY metadata: {error}");
                }

                _state = State.Done;
                return metadata;
            default:
                throw new PeerException($"unexpected command '{Commands.Printable(name)}' in the PLAIN handshake (waiting for {(_state == State.WaitingForWelcome ? "WELCOME" : "READY")})");
        }
    }
}
