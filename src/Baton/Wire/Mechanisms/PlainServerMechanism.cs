namespace Baton.Wire.Mechanisms;

/// <summary>
/// The PLAIN server (RFC 24, https://rfc.zeromq.org/spec/24/): HELLO's credentials go to the ZAP handler
/// (RFC 27); its 200 sends WELCOME, then the client's INITIATE gets our READY. As libzmq 4.3 does
/// (src/plain_server.cpp, src/zap_client.cpp): with no handler bound the connection is dropped without
/// an ERROR (PLAIN without ZAP checks nothing, so nobody gets in); a 300 (temporary failure) drops it
/// silently too; a 400 or 500 sends ERROR with the status code as the reason.
/// </summary>
internal sealed class PlainServerMechanism : Mechanism
{
    private State _state = State.WaitingForHello;
    private byte[] _localMetadata = [];
    private string _userName = "";

    private enum State
    {
        WaitingForHello,
        WaitingForZap,
        WaitingForInitiate,
        Done,
    }

    public override string Name => "PLAIN";

    public override bool AsServer => true;

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
    {
        _localMetadata = localMetadata.ToArray();
        return [];
    }

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
    {
        var command = PlainCommands.Parse(body, out var name, out var data);
        switch (_state)
        {
            case State.WaitingForHello when PlainCommands.IsHello(name):
                if (!PlainCommands.TryParseHello(data, out var user, out var password))
                {
                    throw new PeerException("malformed PLAIN HELLO: the user name and password lengths do not match the command");
                }

                // For refusal messages only, which reach the log: the peer's bytes, escaped so they cannot forge log lines.
                _userName = Commands.Printable(user);
                PendingZapRequest = new ZapRequest(Name, [user.ToArray(), password.ToArray()]);
                _state = State.WaitingForZap;
                return null;
            case State.WaitingForInitiate when PlainCommands.IsInitiate(name):
                if (!Metadata.TryParse(data, out var metadata, out var error))
                {
                    throw new PeerException($"malformed PLAIN INITIATE metadata: {error}");
                }

                replies.Add(Commands.Frame(Commands.Ready, _localMetadata));
                _state = State.Done;
                return metadata;
            case State.WaitingForZap:
                throw new PeerException($"the PLAIN client sent '{Commands.Printable(name)}' before the ZAP handler answered");
            default:
                throw new PeerException(command == CommandName.Error
                    ? $"the PLAIN client sent ERROR: {Commands.ErrorReason(data)}"
                    : $"unexpected command '{Commands.Printable(name)}' in the PLAIN handshake (waiting for {(_state == State.WaitingForHello ? "HELLO" : "INITIATE")})");
        }
    }

    public override Metadata? OnZapReply(ZapReply? reply, List<byte[]> replies)
    {
        if (_state != State.WaitingForZap)
        {
            throw new InvalidOperationException("the PLAIN server made no ZAP request");
        }

        if (reply is null)
        {
            throw new PeerException($"PLAIN user '{_userName}' refused: no ZAP handler is bound at inproc://zeromq.zap.01 to check the credentials");
        }

        if (reply.Allowed)
        {
            replies.Add(Commands.Frame(PlainCommands.Welcome, []));
            _state = State.WaitingForInitiate;
            return null;
        }

        // RFC 27: 300 is a temporary failure, and libzmq drops the client without an ERROR so that it retries.
        if (reply.StatusCode != "300")
        {
            replies.Add(EncodeError(reply.StatusCode));
        }

        throw new PeerException($"PLAIN user '{_userName}' refused by the ZAP handler: {reply.StatusCode} {reply.StatusText}");
    }
}
