using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>The read side: greeting, frame decoding straight from a large pooled buffer.</summary>
internal sealed partial class Connection
{
    private async Task ReadGreetingAsync()
    {
        while (_end - _start < Zmtp.GreetingSize)
        {
            ValidateGreetingPrefix(_readBuffer.AsSpan(_start, _end - _start));
            if (!await FillAsync().ConfigureAwait(false))
            {
                throw new PeerException("the peer closed the connection during the greeting");
            }
        }

        var greeting = _readBuffer.AsSpan(_start, Zmtp.GreetingSize);
        ValidateGreetingPrefix(greeting);
        _legacy = greeting[11] == 0 && greeting[10] == 3;
        var mechanism = greeting.Slice(12, 20);
        var length = mechanism.IndexOf((byte)0);
        var name = Encoding.ASCII.GetString(length < 0 ? mechanism : mechanism[..length]);
        if (name != "NULL")
        {
            throw new PeerException($"security mechanism mismatch: the peer uses '{name}', this socket uses 'NULL'");
        }

        _start += Zmtp.GreetingSize;
    }

    private static void ValidateGreetingPrefix(ReadOnlySpan<byte> greeting)
    {
        if (greeting.Length >= 1 && greeting[0] != 0xFF)
        {
            throw new PeerException($"not a ZMTP greeting (first byte 0x{greeting[0]:X2})");
        }

        if (greeting.Length >= 10 && (greeting[9] & 1) != 1)
        {
            throw new PeerException("not a ZMTP 3 greeting (a ZMTP 1.0 peer's first frame)");
        }

        if (greeting.Length >= 11 && greeting[10] < 3)
        {
            throw new PeerException($"not a ZMTP 3 greeting (revision {greeting[10]}: ZMTP {(greeting[10] == 1 ? "2.0" : "1.0")})");
        }
    }

    /// <summary>Reads once and decodes every complete frame; false at end of stream.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadFramesAsync()
    {
        var wasReady = _ready;
        while (true)
        {
            var available = _end - _start;
            if (available < 2)
            {
                break;
            }

            var buffer = _readBuffer;
            var flags = buffer[_start];
            if ((flags & 0xF8) != 0)
            {
                throw new PeerException($"malformed frame: reserved flag bits set (0x{flags:X2})");
            }

            var isLong = (flags & Zmtp.FlagLong) != 0;
            var headerSize = isLong ? 9 : 2;
            if (available < headerSize)
            {
                break;
            }

            var size = isLong
                ? BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(_start + 1, 8))
                : buffer[_start + 1];
            var isCommand = (flags & Zmtp.FlagCommand) != 0;
            var more = (flags & Zmtp.FlagMore) != 0;
            if (isCommand)
            {
                if (_framing != 3)
                {
                    throw LegacyCommand(flags);
                }

                if (more)
                {
                    throw new PeerException("malformed frame: a command with the MORE flag");
                }

                if (size > (ulong)(ReadBufferSize - headerSize))
                {
                    throw new PeerException($"command of {size} bytes is larger than any valid command");
                }

                if ((ulong)(available - headerSize) < size)
                {
                    break;
                }

                // Keep messages and what commands deliver (subscriptions) in wire order.
                DeliverPending();

                var body = buffer.AsSpan(_start + headerSize, (int)size);
                _start += headerSize + (int)size;
                HandleCommand(body);
                if (_ready && !wasReady)
                {
                    // Handshake done: let the caller start the write loop before we block on a read.
                    return true;
                }

                continue;
            }

            if (!_ready)
            {
                throw new PeerException("the peer sent a message before completing the handshake");
            }

            if (size > int.MaxValue - 64 || (_options.MaxMessageSize >= 0 && (long)size + _partialSize > _options.MaxMessageSize))
            {
                throw new PeerException($"message larger than the maximum message size ({_options.MaxMessageSize} bytes): a frame of {size} bytes");
            }

            var frameSize = (int)size;
            Frame frame;
            if (available - headerSize >= frameSize)
            {
                _partial ??= MessageBody.Rent();
                frame = _partial.Allocate(frameSize);
                buffer.AsSpan(_start + headerSize, frameSize).CopyTo(frame.WritableSpan);

                _start += headerSize + frameSize;
            }
            else if (frameSize > ReadBufferSize / 2)
            {
                await DeliverBatchAsync().ConfigureAwait(false);

                // Large frame: read the rest straight into the frame's own buffer, no second copy.
                // Beyond EagerFrameLimit the buffer grows with the data that actually arrives, so a
                // 9-byte header alone cannot make us commit gigabytes.
                var capacity = Math.Min(frameSize, EagerFrameLimit);
                var array = capacity > 1 << 20 ? GC.AllocateUninitializedArray<byte>(capacity) : ArrayPool<byte>.Shared.Rent(capacity);
                var pooled = capacity <= 1 << 20;
                var have = available - headerSize;
                buffer.AsSpan(_start + headerSize, have).CopyTo(array);
                _start = _end = 0;
                while (have < frameSize)
                {
                    if (have == array.Length)
                    {
                        var grown = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)array.Length * 2, frameSize));
                        array.AsSpan(0, have).CopyTo(grown);
                        if (pooled)
                        {
                            ArrayPool<byte>.Shared.Return(array);
                        }

                        array = grown;
                        pooled = false;
                    }

                    var read = await _socket.ReceiveAsync(array.AsMemory(have, Math.Min(frameSize, array.Length) - have), SocketFlags.None, _abort.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        if (pooled)
                        {
                            ArrayPool<byte>.Shared.Return(array);
                        }

                        throw new PeerException("the peer hung up in the middle of a frame");
                    }

                    have += read;
                    Volatile.Write(ref _lastReceived, Environment.TickCount64);
                }

                frame = new Frame(array, frameSize, pooled);
            }
            else
            {
                break;
            }

            _partial ??= MessageBody.Rent();
            _partial.AppendFrame(frame);
            _partialSize += frameSize;
            if (!more)
            {
                _batch[_batched++] = _partial;
                _partial = null;
                _partialSize = 0;
                if (_batched == _batch.Length || (_pipe.ReceiveCapacity > 0 && _pipe.InboundCount + _batched >= _pipe.ReceiveCapacity))
                {
                    await DeliverBatchAsync().ConfigureAwait(false);
                }
            }
        }

        await DeliverBatchAsync().ConfigureAwait(false);
        return await FillAsync().ConfigureAwait(false);
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
            await _pipe.InboundSpace.WaitAsync().ConfigureAwait(false);
        }

        _abort.Token.ThrowIfCancellationRequested();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillAsync()
    {
        if (_start > 0)
        {
            var pending = _end - _start;
            if (pending > 0)
            {
                Buffer.BlockCopy(_readBuffer, _start, _readBuffer, 0, pending);
            }

            _start = 0;
            _end = pending;
        }

        if (_end == 0 && _socketDrained && _ready)
        {
            // Nothing pending and the socket was empty: give the buffer back and wait for data with a
            // zero-byte read, so an idle connection holds no read buffer (10,000 idle peers would pin 640 MB).
            if (_readBuffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_readBuffer);
                _readBuffer = [];
            }

            await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _abort.Token).ConfigureAwait(false);
        }

        if (_readBuffer.Length == 0)
        {
            _readBuffer = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
        }

        var space = _readBuffer.Length - _end;
        var read = await _socket.ReceiveAsync(_readBuffer.AsMemory(_end), SocketFlags.None, _abort.Token).ConfigureAwait(false);
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
