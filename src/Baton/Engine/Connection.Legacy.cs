using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Baton.Internal;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>
/// Older peers: the staged greeting that finds out whether the peer speaks ZMTP 3.x, 2.0 or 1.0 (RFC 37
/// "Backwards Interoperability", RFC 15, RFC 13), and ZMTP 1.0 framing. ZMTP 2.0 data frames are ZMTP 3's,
/// so a 2.0 peer goes through the ordinary read and write paths, with commands refused.
/// </summary>
internal sealed partial class Connection
{
    private static readonly byte[] s_majorVersion = [3];

    // What the peer speaks once greeted: 3 (ZMTP 3.x), 2 (ZMTP 2.0: 3's data frames, no commands) or 1 (ZMTP 1.0 framing).
    private int _framing = 3;

    // The message being read in ZMTP 1.0 framing so far: bytes and frames, for the limits.
    private long _v1MessageBytes;
    private int _v1MessageFrames;

    private ReadOnlySpan<byte> Received => _readBuffer.AsSpan(_start, _end - _start);

    /// <summary>
    /// The greeting in stages, as libzmq's engine does: our signature; then, if the peer's is a ZMTP 2+
    /// one, our major version; then, by the peer's revision, the rest of a ZMTP 3 greeting or of a 2.0
    /// one. True when the peer speaks ZMTP 3 and its greeting has been read (READY comes next); false
    /// when an older peer's handshake is complete.
    /// </summary>
    private async Task<bool> ExchangeGreetingAsync()
    {
        var identity = _options.Identity ?? [];
        var signature = new byte[LegacyGreeting.SignatureSize];
        LegacyGreeting.WriteSignature(signature, identity.Length);
        await SendAllAsync(signature).ConfigureAwait(false);

        bool versioned;
        while (LegacyGreeting.ReadSignature(Received, out versioned) == OperationStatus.NeedMoreData)
        {
            await FillGreetingAsync().ConfigureAwait(false);
        }

        if (!versioned)
        {
            RefuseLegacyPeerIfSecured(ZmtpVersion.Zmtp10Unversioned);

            // The peer read our signature as the head of our identity frame (length and flags): the body completes it.
            if (identity.Length > 0)
            {
                await SendAllAsync(identity).ConfigureAwait(false);
            }

            await CompleteLegacyHandshakeAsync(ZmtpVersion.Zmtp10Unversioned, peerType: null).ConfigureAwait(false);
            return false;
        }

        await SendAllAsync(s_majorVersion).ConfigureAwait(false);
        while (_end - _start <= LegacyGreeting.RevisionOffset)
        {
            await FillGreetingAsync().ConfigureAwait(false);
        }

        if (!LegacyGreeting.TryParseRevision(_readBuffer[_start + LegacyGreeting.RevisionOffset], out var version, out var error))
        {
            throw new PeerException(error!);
        }

        if (version == ZmtpVersion.Zmtp3)
        {
            var greeting = new byte[Greeting.Size];
            Greeting.Write(greeting, _mechanism.Name, _mechanism.AsServer);

            // The signature and the major version are out already: the minor version onwards completes it.
            await SendAllAsync(greeting.AsMemory(LegacyGreeting.RevisionOffset + 1)).ConfigureAwait(false);
            await ReadGreetingAsync().ConfigureAwait(false);
            return true;
        }

        RefuseLegacyPeerIfSecured(version);

        var ownType = PeerTypes.WireName(_options.SocketType);
        await SendAllAsync(LegacyGreeting.EncodeGreetingTail(version, ownType, identity)).ConfigureAwait(false);
        while (_end - _start < LegacyGreeting.Zmtp2GreetingSize)
        {
            await FillGreetingAsync().ConfigureAwait(false);
        }

        var typeByte = _readBuffer[_start + LegacyGreeting.Zmtp2GreetingSize - 1];
        _start += LegacyGreeting.Zmtp2GreetingSize;
        var typeName = LegacyGreeting.SocketTypeName(typeByte) ?? throw new PeerException($"unknown peer socket type {typeByte} in a ZMTP 2.0 greeting");
        PeerTypes.TryParse(typeName, out var peerType);
        if (!PeerTypes.AreCompatible(_options.SocketType, peerType))
        {
            // ZMTP 2.0 has no ERROR command: closing is all the peer hears.
            _invalidPairing = true;
            throw new PeerException($"invalid socket pairing: a {ownType} socket cannot talk to a {typeName} socket");
        }

        await CompleteLegacyHandshakeAsync(version, peerType).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Refuses a ZMTP 1.0 or 2.0 peer where security is on: those versions have no mechanism, so the peer would get
    /// in unauthenticated and in the clear. As libzmq, which refuses them whenever ZAP is enabled (a mechanism other
    /// than NULL, or a ZAP domain: a NULL socket's ZAP check happens in a handshake an older peer skips).
    /// </summary>
    /// <exception cref="PeerException">The socket uses PLAIN or CURVE, or has a ZAP domain.</exception>
    private void RefuseLegacyPeerIfSecured(ZmtpVersion version)
    {
        var peer = version == ZmtpVersion.Zmtp20 ? "ZMTP 2.0" : "ZMTP 1.0";
        if (_mechanism.Name != "NULL")
        {
            throw new PeerException($"a {peer} peer cannot use the {_mechanism.Name} mechanism this socket requires");
        }

        if (_options.ZapDomain.Length > 0)
        {
            throw new PeerException($"a {peer} peer cannot be checked by ZAP, which this socket's ZAP domain requires");
        }
    }

    private async Task FillGreetingAsync()
    {
        if (!await FillAsync().ConfigureAwait(false))
        {
            throw new PeerException("the peer closed the connection during the greeting");
        }
    }

    /// <summary>Reads the peer's identity frame and joins the pipe to the socket, as READY does for ZMTP 3.</summary>
    private async Task CompleteLegacyHandshakeAsync(ZmtpVersion version, PeerType? peerType)
    {
        _framing = version == ZmtpVersion.Zmtp20 ? 2 : 1;

        // Subscriptions travel as messages, as to a ZMTP 3.0 peer.
        _zmtp30 = true;
        Range identity;
        int consumed;
        while (true)
        {
            var status = LegacyGreeting.ReadIdentity(version, Received, out identity, out consumed, out var error);
            if (status == OperationStatus.Done)
            {
                break;
            }

            if (status == OperationStatus.InvalidData)
            {
                throw new PeerException(error!);
            }

            await FillGreetingAsync().ConfigureAwait(false);
        }

        var id = Received[identity];
        _pipe.PeerIdentity = id.IsEmpty ? null : id.ToArray();
        _start += consumed;

        // An unversioned peer does not say what it is: assume the usual counterpart, so the peer counts as connected.
        _pipe.PeerType = peerType ?? Counterpart(_options.SocketType);
        AttachPipe();

        var protocol = version switch
        {
            ZmtpVersion.Zmtp20 => "ZMTP 2.0",
            ZmtpVersion.Zmtp10 => "ZMTP 1.0 with a ZMTP 2.0 greeting",
            _ => "ZMTP 1.0",
        };
        _pairingWarning?.Reset();
        Log.LegacyPeerConnected(_logger, PeerTypes.WireName(_options.SocketType), _pipe.Endpoint, peerType is { } type ? PeerTypes.WireName(type) : "unknown type", protocol);
        _owner.OnHandshakeSucceeded(_pipe.Endpoint, PeerAddress);
        _owner.Metrics.ConnectionOpened();

        if (version == ZmtpVersion.Zmtp10Unversioned && _options.SocketType is PeerType.Pub or PeerType.XPub)
        {
            // A ZMTP 1.0 subscriber never sends its subscriptions (it filters by itself): it gets everything, as libzmq does.
            var all = Frame.Rent(1);
            all.WritableSpan[0] = 1;
            _owner.Deliver(_pipe, MessageBody.Of(all, MessageKind.Subscription));
        }
    }

    private static PeerType Counterpart(PeerType type) => type switch
    {
        PeerType.Pub or PeerType.XPub => PeerType.Sub,
        PeerType.Sub or PeerType.XSub => PeerType.Pub,
        PeerType.Req => PeerType.Rep,
        PeerType.Rep => PeerType.Req,
        PeerType.Dealer or PeerType.Router => PeerType.Dealer,
        PeerType.Push => PeerType.Pull,
        PeerType.Pull => PeerType.Push,
        _ => type,
    };

    /// <summary>A ZMTP 2.0 peer sent a frame with the command flag, a reserved bit in 2.0.</summary>
    private static PeerException LegacyCommand(byte flags)
        => new($"malformed ZMTP 2.0 frame: reserved flag bits set (0x{flags:X2})");

    /// <summary>Reads once and decodes every complete ZMTP 1.0 frame; false at end of stream (ReadFramesAsync for 1.0 framing).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadFramesV1Async()
    {
        while (true)
        {
            var status = Zmtp1Codec.ReadHeader(Received, out var headerSize, out var size, out var more, out var error);
            if (status == OperationStatus.InvalidData)
            {
                throw new PeerException(error!);
            }

            if (status == OperationStatus.NeedMoreData)
            {
                break;
            }

            // The limits FrameDecoder keeps for ZMTP 2.0 and 3, checked on the header as there.
            if (size > int.MaxValue - 64 || (_options.MaxMessageSize >= 0 && (long)size + _v1MessageBytes > _options.MaxMessageSize))
            {
                throw new PeerException($"message larger than the maximum message size ({_options.MaxMessageSize} bytes): a frame of {size} bytes");
            }

            if (_options.MaxFramesPerMessage >= 0 && _v1MessageFrames >= _options.MaxFramesPerMessage)
            {
                throw new PeerException($"message of more than {_options.MaxFramesPerMessage} frames (MaxFramesPerMessage)");
            }

            var frameSize = (int)size;
            var available = _end - _start - headerSize;
            Frame frame;
            if (available >= frameSize)
            {
                _partial ??= MessageBody.Rent();
                frame = _partial.Allocate(frameSize);
                _readBuffer.AsSpan(_start + headerSize, frameSize).CopyTo(frame.WritableSpan);
                _start += headerSize + frameSize;
            }
            else if (frameSize > LargeFrameSize)
            {
                await DeliverBatchAsync().ConfigureAwait(false);
                _start += headerSize;
                var array = await ReadLargeFrameAsync(frameSize).ConfigureAwait(false);
                frame = new Frame(array, frameSize, array.Length <= 1 << 20);
            }
            else
            {
                break;
            }

            _partial ??= MessageBody.Rent();
            _partial.AppendFrame(frame);
            if (more)
            {
                _v1MessageBytes += frameSize;
                _v1MessageFrames++;
            }
            else
            {
                _v1MessageBytes = 0;
                _v1MessageFrames = 0;
                if (BatchMessage())
                {
                    await DeliverBatchAsync().ConfigureAwait(false);
                }
            }
        }

        await DeliverBatchAsync().ConfigureAwait(false);
        return await FillAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// WriteBatchAsync for a ZMTP 1.0 peer: the pipe's chunks hold ZMTP 3 frames (encoded by the senders
    /// before anyone knew the peer's version), so they are re-framed here, at write time, into a scratch buffer.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBatchV1Async(List<StreamPipe.Segment> batch)
    {
        // Room for a whole chunk and the few bytes per frame 1.0 headers may add.
        var scratch = ArrayPool<byte>.Shared.Rent(128 * 1024);
        var next = 0;
        try
        {
            for (; next < batch.Count; next++)
            {
                var segment = batch[next];
                if (segment.Chunk is not null)
                {
                    var source = segment.Chunk.AsMemory(0, segment.Length);
                    while (!source.IsEmpty)
                    {
                        var status = Zmtp1Codec.TranscodeFromZmtp3(source.Span, scratch, out var consumed, out var written);
                        if (status == OperationStatus.InvalidData || written == 0)
                        {
                            throw new InvalidOperationException("a chunk of the pipe does not hold whole ZMTP frames");
                        }

                        await SendAllAsync(scratch.AsMemory(0, written)).ConfigureAwait(false);
                        source = source[consumed..];
                    }

                    _pipe.Recycle(segment.Chunk);
                }
                else
                {
                    await WriteLargeAsync(segment.Message!, scratch).ConfigureAwait(false);
                    segment.Message!.Release();
                }
            }
        }
        finally
        {
            // On failure the rest of the batch is lost with the connection, as in WriteBatchAsync.
            for (; next < batch.Count; next++)
            {
                StreamPipe.Release(batch[next]);
            }

            batch.Clear();
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
