using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Baton.Internal;
using Baton.Messages;
using Baton.Sockets;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>ZMTP commands: READY and the handshake checks, PING/PONG, SUBSCRIBE/CANCEL, ERROR.</summary>
internal sealed partial class Connection
{
    private void HandleCommand(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body.Length < 1 + body[0])
        {
            throw new PeerException("malformed command frame");
        }

        var name = body.Slice(1, body[0]);
        var data = body[(1 + body[0])..];
        if (!_ready)
        {
            if (name.SequenceEqual(Zmtp.Ready))
            {
                HandleReady(data);
                return;
            }

            if (name.SequenceEqual(Zmtp.Error))
            {
                throw new PeerException($"the peer refused the handshake: {ErrorReason(data)}", fatal: true);
            }

            throw new PeerException($"unexpected command '{Encoding.ASCII.GetString(name)}' during the handshake");
        }

        if (name.SequenceEqual(Zmtp.Ping))
        {
            if (data.Length < 2 || data.Length > 18)
            {
                throw new PeerException("malformed PING command");
            }

            var ttl = BinaryPrimitives.ReadUInt16BigEndian(data) * 100;
            if (ttl > 0)
            {
                Volatile.Write(ref _remoteTtlMs, ttl);
                StartHeartbeat();
            }

            EnqueueCommand(Zmtp.EncodePong(data[2..]));
        }
        else if (name.SequenceEqual(Zmtp.Pong))
        {
            // Any traffic counts as liveness; the read itself refreshed the timestamp.
        }
        else if (name.SequenceEqual(Zmtp.Subscribe) || name.SequenceEqual(Zmtp.Cancel))
        {
            if (_owner.Type is not (Sockets.SocketType.Pub or Sockets.SocketType.XPub))
            {
                // Only publishers take subscriptions; elsewhere the command must not surface as a message.
                return;
            }

            var subscription = Frame.Rent(data.Length + 1);
            subscription.WritableSpan[0] = name.SequenceEqual(Zmtp.Subscribe) ? (byte)1 : (byte)0;
            data.CopyTo(subscription.WritableSpan[1..]);
            _owner.Deliver(_pipe, MessageBody.Of(subscription, MessageKind.Subscription));
        }
        else if (name.SequenceEqual(Zmtp.Error))
        {
            throw new PeerException($"the peer sent ERROR: {ErrorReason(data)}", fatal: true);
        }
        else if (name.SequenceEqual(Zmtp.Ready))
        {
            throw new PeerException("a second READY command");
        }

        // Unknown commands are ignored, as RFC 37 allows for forward compatibility.
    }

    private static string ErrorReason(ReadOnlySpan<byte> data)
        => data.Length >= 1 && data.Length >= 1 + data[0] ? Encoding.ASCII.GetString(data.Slice(1, data[0])) : "(no reason)";

    private void HandleReady(ReadOnlySpan<byte> data)
    {
        if (!Metadata.TryParse(data, out var metadata, out var error))
        {
            throw new PeerException($"malformed READY metadata: {error}");
        }

        var typeBytes = metadata["Socket-Type"] ?? throw new PeerException("READY without a Socket-Type property");
        var typeName = Encoding.ASCII.GetString(typeBytes);
        if (!SocketTypes.TryParse(typeName, out var peerType))
        {
            throw new PeerException($"unknown peer socket type '{typeName}'");
        }

        if (!SocketTypes.AreCompatible(_owner.Type, peerType))
        {
            SendErrorBestEffort("Invalid socket type");
            throw new PeerException($"invalid socket pairing: a {SocketTypes.WireName(_owner.Type)} socket cannot talk to a {typeName} socket");
        }

        var identity = metadata["Identity"];
        _pipe.PeerType = peerType;
        _pipe.PeerIdentity = identity is { Length: > 0 } ? identity : null;
        _pipe.Attach(this);
        _ready = true;
        if (!_owner.OnPipeConnected(_pipe, out var refusal))
        {
            _ready = false;
            _pipe.Detach(this);
            throw new PeerException(refusal ?? "refused by the socket");
        }

        Log.PeerConnected(_logger, SocketTypes.WireName(_owner.Type), _pipe.Endpoint, typeName, _legacy ? 0 : 1);
        _owner.Raise(SocketEventKind.HandshakeSucceeded, _pipe.Endpoint);
        BatonMetrics.Connections.Add(1, _owner.MetricTag);
    }

    private void SendErrorBestEffort(string reason)
    {
        try
        {
            _socket.Send(Zmtp.EncodeError(reason), SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }
}
