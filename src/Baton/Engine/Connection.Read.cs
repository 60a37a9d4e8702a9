using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>The read side: greeting, then every frame a read brings, decoded by Wire's <see cref="FrameDecoder"/> straight from a pooled buffer.</summary>
internal sealed partial class Connection
{
    private async Task ReadGreetingAsync()
    {
        while (_end - _start < Greeting.Size)
        {
            Greeting.ValidatePrefix(_readBuffer.AsSpan(_start, _end - _start));
            if (!await FillAsync().ConfigureAwait(false))
            {
                throw new PeerException("the peer closed the connection during the greeting");
            }
        }

        var greeting = Greeting.Parse(_readBuffer.AsSpan(_start, Greeting.Size));
        _zmtp30 = greeting.IsZmtp30;
        if (greeting.Mechanism != _mechanism.Name)
        {
            throw new PeerException($"security mechanism mismatch: the peer uses '{greeting.Mechanism}', this socket uses '{_mechanism.Name}'");
        }

        _start += Greeting.Size;
    }

    /// <summary>Reads once and decodes every complete frame; false at end of stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadFramesAsync()
    {
        var wasReady = _ready;
        while (true)
        {
            var status = _decoder.Decode(_readBuffer.AsSpan(_start, _end - _start), out var header);
            if (status == FrameStatus.NeedMore)
            {
                break;
            }

            var flags = header.Flags;
            var bodyStart = _start + header.HeaderLength;
            var size = header.Size;
            Frame frame;
            if (status == FrameStatus.Frame)
            {
                _start = bodyStart + size;
                var body = _readBuffer.AsSpan(bodyStart, size);
                if (_transforms && _ready)
                {
                    // Handshake commands are the mechanism's own business and arrive as they are.
                    size = _mechanism.Decode(ref flags, body, out var plainStart);
                    body = body.Slice(plainStart, size);
                    _decoder.OnDecoded(flags, size);
                }

                if ((flags & Zmtp.FlagCommand) != 0)
                {
                    if (_framing != 3)
                    {
                        throw LegacyCommand(flags);
                    }

                    // Keep messages and what commands deliver (subscriptions) in wire order.
                    DeliverPending();
                    HandleCommand(body);
                    if (!wasReady)
                    {
                        // A handshake command: let the caller ask ZAP and send the mechanism's replies (a
                        // CURVE or PLAIN server answers HELLO, then waits), or start the write loop once the
                        // handshake is done, before we block on a read. The next call decodes what is left.
                        return true;
                    }

                    continue;
                }

                if (!_ready)
                {
                    throw new PeerException("the peer sent a message before completing the handshake");
                }

                _partial ??= MessageBody.Rent();
                frame = _partial.Allocate(size);
                body.CopyTo(frame.WritableSpan);
            }
            else
            {
                if (!_ready)
                {
                    throw new PeerException("the peer sent a message before completing the handshake");
                }

                await DeliverBatchAsync().ConfigureAwait(false);
                _start = bodyStart;
                var array = await ReadLargeFrameAsync(size).ConfigureAwait(false);
                var pooled = array.Length <= 1 << 20;
                if (_transforms)
                {
                    size = _mechanism.Decode(ref flags, array.AsSpan(0, size), out var plainStart);

                    // The frame's bytes start at the array's start: the plain text moves down to it.
                    array.AsSpan(plainStart, size).CopyTo(array);
                    if ((flags & Zmtp.FlagCommand) != 0)
                    {
                        ReturnFrameBuffer(array);
                        throw new PeerException("a command larger than any valid command");
                    }

                    try
                    {
                        _decoder.OnDecoded(flags, size);
                    }
                    catch
                    {
                        ReturnFrameBuffer(array);
                        throw;
                    }
                }

                frame = new Frame(array, size, pooled);
            }

            _partial ??= MessageBody.Rent();
            _partial.AppendFrame(frame);
            if ((flags & Zmtp.FlagMore) == 0)
            {
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
    /// Gathers the body of a large frame whose header was consumed, into an array of its own: the bytes already read, then the rest read
    /// straight into the frame's own buffer, no second copy through the read buffer. The buffer starts
    /// at what has arrived (or 64 KB) and doubles as data comes, so a header announcing gigabytes costs
    /// only the bytes the peer really sends.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<byte[]> ReadLargeFrameAsync(int frameSize)
    {
        var have = _end - _start;
        var array = RentFrameBuffer(Math.Min(frameSize, Math.Max(LargeFrameInitial, have + _socket.Available)));
        _readBuffer.AsSpan(_start, have).CopyTo(array);
        _start = _end = 0;

        // The read buffer idles while the frame comes in, perhaps for long: give it back meanwhile.
        if (_readBuffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = [];
        }
        try
        {
            while (have < frameSize)
            {
                if (have == array.Length)
                {
                    // Grow with what has come: double, or to what the system has already received.
                    var grown = RentFrameBuffer((int)Math.Min(frameSize, Math.Max((long)array.Length * 2, have + (long)_socket.Available)));
                    array.AsSpan(0, have).CopyTo(grown);
                    ReturnFrameBuffer(array);
                    array = grown;
                }

                var read = await _io.ReceiveAsync(array.AsMemory(have, Math.Min(frameSize, array.Length) - have)).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new PeerException("the peer hung up in the middle of a frame");
                }

                have += read;
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
            }
        }
        catch
        {
            ReturnFrameBuffer(array);
            throw;
        }

        return array;
    }

    // Up to 1 MB from the shared pool; beyond, an exact array so the pool never hoards huge ones (as Frame.Rent).
    private static byte[] RentFrameBuffer(int size)
        => size > 1 << 20 ? GC.AllocateUninitializedArray<byte>(size) : ArrayPool<byte>.Shared.Rent(size);

    private static void ReturnFrameBuffer(byte[] array)
    {
        if (array.Length <= 1 << 20)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Adds the message just completed to the batch; true when the batch must go to the socket now (full, or the peer's share of the receive HWM reached).</summary>
    private bool BatchMessage()
    {
        _partial!.Properties = _properties;
        _batch[_batched++] = _partial;
        _partial = null;
        return _batched == _batch.Length || (_pipe.ReceiveCapacity > 0 && _pipe.InboundCount + _batched >= _pipe.ReceiveCapacity);
    }

    /// <summary>Hands the messages decoded so far to the socket in one go, then waits while this peer is at its receive HWM.</summary>
    private ValueTask DeliverBatchAsync()
    {
        DeliverPending();
        return _pipe.IsInboundFull ? WaitForInboundSpaceAsync() : default;
    }

    /// <summary>Hands the messages decoded so far to the socket, if any; a reply to them may then go inline (see TryWriteInline).</summary>
    private void DeliverPending()
    {
        if (_batched > 0)
        {
            _owner.DeliverBatch(_pipe, _batch.AsSpan(0, _batched));
            Array.Clear(_batch, 0, _batched);
            _batched = 0;
            _inlineAllowed = true;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForInboundSpaceAsync()
    {
        // While the socket closes nobody will receive: keep reading so the peer's end of stream is seen.
        while (_pipe.IsInboundFull && !_abort.IsCancellationRequested && !_draining)
        {
            await _pipe.InboundSpace.WaitAsync(_io.Dispatcher).ConfigureAwait(false);
        }

        _abort.Token.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// Reads once after the undecoded bytes. A handshaken connection reads into the 64 KB pooled buffer,
    /// but holds it only while data flows: once the socket is drained and at most part of a frame is
    /// left, that part moves to a small buffer and a zero-byte read waits for more, so idle peers and
    /// peers that stall mid-frame pin no read buffer (10,000 of them would pin 640 MB). A handshake
    /// reads into a small buffer that grows only when a command needs the room.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync()
    {
        var pending = _end - _start;
        if (_start > 0)
        {
            if (pending > 0)
            {
                Buffer.BlockCopy(_readBuffer, _start, _readBuffer, 0, pending);
            }

            _start = 0;
            _end = pending;
        }

        if (_ready && _socketDrained && pending < LargeFrameSize)
        {
            if (_readBuffer.Length >= ReadBufferSize)
            {
                var parked = pending > 0 ? ArrayPool<byte>.Shared.Rent(pending) : [];
                _readBuffer.AsSpan(0, pending).CopyTo(parked);
                ArrayPool<byte>.Shared.Return(_readBuffer);
                _readBuffer = parked;
            }

            await _io.ReceiveAsync(Memory<byte>.Empty).ConfigureAwait(false);
        }

        if (_ready ? _readBuffer.Length < ReadBufferSize : _end == _readBuffer.Length)
        {
            var size = _ready ? ReadBufferSize : Math.Clamp(_readBuffer.Length * 2, HandshakeBufferSize, ReadBufferSize);
            var grown = ArrayPool<byte>.Shared.Rent(size);
            _readBuffer.AsSpan(0, _end).CopyTo(grown);
            if (_readBuffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_readBuffer);
            }

            _readBuffer = grown;
        }

        var space = _readBuffer.Length - _end;
        var read = await _io.ReceiveAsync(_readBuffer.AsMemory(_end)).ConfigureAwait(false);
        if (read == 0)
        {
            return false;
        }

        _socketDrained = read < space;
        _end += read;
        Volatile.Write(ref _lastReceived, Environment.TickCount64);
        return true;
    }
}
