namespace Baton.Wire.Mechanisms;

/// <summary>
/// The NULL mechanism (RFC 37 "The NULL Security Mechanism"): each side sends READY with its
/// metadata; ERROR instead means the peer refused. Bytes travel as they are. With a ZAP domain set
/// (<c>SocketOptions.ZapDomain</c>), READY waits for the ZAP handler's verdict on the peer's address,
/// as libzmq does; a refusal sends ERROR with the status code instead.
/// </summary>
internal sealed class NullMechanism(bool zapRequired = false) : Mechanism
{
    private byte[]? _ready;

    public override string Name => "NULL";

    public override IReadOnlyList<byte[]> Start(ReadOnlySpan<byte> localMetadata)
    {
        var ready = Commands.Frame(Commands.Ready, localMetadata);
        if (!zapRequired)
        {
            return [ready];
        }

        _ready = ready;
        PendingZapRequest = new ZapRequest(Name, []);
        return [];
    }

    public override Metadata? OnZapReply(ZapReply? reply, List<byte[]> replies)
    {
        var ready = _ready ?? throw new InvalidOperationException("the NULL mechanism made no ZAP request");
        _ready = null;

        // No handler bound: go on unauthenticated, as libzmq does unless ZAP is enforced.
        if (reply is null || reply.Allowed)
        {
            replies.Add(ready);
            return null;
        }

        // 300 is a temporary failure: libzmq drops the peer without an ERROR, so that it retries.
        if (reply.StatusCode != "300")
        {
            replies.Add(EncodeError(reply.StatusCode));
        }

        throw new PeerException($"refused by the ZAP handler: {reply.StatusCode} {reply.StatusText}");
    }

    public override Metadata? OnHandshakeCommand(ReadOnlySpan<byte> body, List<byte[]> replies)
    {
        if (_ready is not null)
        {
            throw new PeerException("a command before the ZAP handler answered");
        }

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
                throw new PeerException($"unexpected command '{Commands.Printable(name)}' during the handshake");
        }
    }
}
