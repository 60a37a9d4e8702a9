using System.Net.Sockets;
using System.Text;
using Baton.Internal;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>
/// What the engine does about commands (Wire parses them): the handshake's outcome, PING/PONG,
/// SUBSCRIBE/CANCEL, ERROR.
/// </summary>
internal sealed partial class Connection
{
    private void HandleCommand(Span<byte> body)
    {
        if (!_ready)
        {
            var metadata = _mechanism.OnHandshakeCommand(body, _handshakeReplies);
            if (metadata is not null)
            {
                HandleReady(metadata);
            }

            return;
        }

        var command = Commands.Parse(body, out _, out var data);
        switch (command)
        {
            case CommandName.Ping:
                var ttl = Commands.ParsePing(data, out var context);
                if (ttl > 0)
                {
                    Volatile.Write(ref _remoteTtlMs, ttl);
                    StartHeartbeat();
                }

                QueuePong(context);
                break;
            case CommandName.Pong:
                // Any traffic counts as liveness; the read itself refreshed the timestamp.
                break;
            case CommandName.Subscribe or CommandName.Cancel:
                if (_options.SocketType is not (PeerType.Pub or PeerType.XPub))
                {
                    // Only publishers take subscriptions; elsewhere the command must not surface as a message.
                    return;
                }

                // The socket layer speaks the 3.0 message form whichever form came.
                var subscription = Frame.Rent(Subscriptions.MessageLength(data.Length));
                Subscriptions.WriteMessage(subscription.WritableSpan, command == CommandName.Subscribe, data);
                _owner.Deliver(_pipe, MessageBody.Of(subscription, MessageKind.Subscription));
                break;
            case CommandName.Error:
                throw new PeerException($"the peer sent ERROR: {Commands.ErrorReason(data)}", fatal: true);
            case CommandName.Ready:
                throw new PeerException("a second READY command");
            default:
                // Unknown commands are ignored, as RFC 37 allows for forward compatibility.
                break;
        }
    }

    private void HandleReady(Metadata metadata)
    {
        var typeBytes = metadata["Socket-Type"] ?? throw new PeerException("READY without a Socket-Type property");
        var typeName = Encoding.ASCII.GetString(typeBytes);
        if (!PeerTypes.TryParse(typeName, out var peerType))
        {
            throw new PeerException($"unknown peer socket type '{typeName}'");
        }

        if (!PeerTypes.AreCompatible(_options.SocketType, peerType))
        {
            SendErrorBestEffort("Invalid socket type");
            _invalidPairing = true;
            throw new PeerException($"invalid socket pairing: a {PeerTypes.WireName(_options.SocketType)} socket cannot talk to a {typeName} socket");
        }

        var identity = metadata["Identity"];
        _pipe.PeerType = peerType;
        _pipe.PeerIdentity = identity is { Length: > 0 } ? identity : null;
        AttachPipe(metadata);

        _pairingWarning?.Reset();
        Log.PeerConnected(_logger, PeerTypes.WireName(_options.SocketType), _pipe.Endpoint, typeName, _zmtp30 ? 0 : 1);
        _owner.OnHandshakeSucceeded(_pipe.Endpoint, PeerAddress);
        _owner.Metrics.ConnectionOpened();
    }

    private void SendErrorBestEffort(string reason)
    {
        try
        {
            _socket.Send(_mechanism.EncodeError(reason), SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
