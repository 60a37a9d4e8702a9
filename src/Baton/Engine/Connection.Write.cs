using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>The write side: whole chunks of encoded messages per system call; large frames written from their own buffer.</summary>
internal sealed partial class Connection
{
    /// <summary>Below this, a write while the sender is streaming is worth delaying a moment (see WriteLoopAsync).</summary>
    private const int SmallWrite = 4 * 1024;

    private async Task WriteLoopAsync()
    {
        var batch = new List<StreamPipe.Segment>();
        var streaming = false;
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                if (Interlocked.CompareExchange(ref _writeOwner, 1, 0) != 0)
                {
                    // A sender is writing inline; it signals if it leaves anything behind.
                    await _pipe.OutboundSignal.WaitAsync(_io.Dispatcher).ConfigureAwait(false);
                    continue;
                }

                var wrote = false;
                try
                {
                    if (_remainder.Chunk is { } rest)
                    {
                        // What an inline write could not finish goes first.
                        var offset = _remainderOffset;
                        var length = _remainder.Length;
                        _remainder = default;
                        await SendAllAsync(rest.AsMemory(offset, length - offset)).ConfigureAwait(false);
                        _pipe.Recycle(rest);
                        wrote = true;
                    }

                    if (HasCommands)
                    {
                        await WriteCommandsAsync().ConfigureAwait(false);
                        wrote = true;
                    }

                    var bytes = _pipe.TakeAll(batch);
                    if (streaming && bytes is > 0 and < SmallWrite)
                    {
                        // The sender is still going and we caught up with it: let it get ahead a moment,
                        // so that one system call carries many messages rather than a handful. A lone
                        // message (request/reply) never waits here.
                        await _io.YieldAsync().ConfigureAwait(false);
                        bytes += _pipe.TakeAll(batch);
                    }

                    streaming = batch.Count > 1 || (batch.Count == 1 && batch[0].Messages > 1);
                    if (batch.Count > 0)
                    {
                        await (_framing == 1 ? WriteBatchV1Async(batch) : WriteBatchAsync(batch)).ConfigureAwait(false);
                        wrote = true;
                    }

                    if (!wrote && _draining && _pipe.OutboundCount == 0 && !HasCommands)
                    {
                        _drained.TrySetResult();

                        // Half-close: the peer reads everything, sees end of stream and closes; we keep
                        // reading until then so no unread data turns our close into a reset.
                        _socket.Shutdown(SocketShutdown.Send);
                        return;
                    }
                }
                finally
                {
                    Volatile.Write(ref _writeOwner, 0);
                }

                if (wrote)
                {
                    continue;
                }

                _pipe.ReleaseSpare();
                await _pipe.OutboundSignal.WaitAsync(_io.Dispatcher).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            Abort(e is SocketException se ? $"write failed: {se.SocketErrorCode}" : _abortReason ?? "closed");
        }
    }

    /// <summary>
    /// Called on the sending thread right after it queued a message: when no write is under way it
    /// writes the chunk itself, without blocking, which saves the hop to the write loop (a request
    /// reaches the wire on the caller's own thread). Only once per message received from the peer:
    /// that lets request and reply go inline while a one-way stream stays with the write loop, which
    /// batches it (a system call per message would cost a streaming sender most of its speed).
    /// False when it left the job to the write loop.
    /// </summary>
    public bool TryWriteInline()
    {
        if (!_inlineAllowed || !_ready || _draining || _framing == 1 || Volatile.Read(ref _writeOwner) != 0 || Interlocked.CompareExchange(ref _writeOwner, 1, 0) != 0)
        {
            return false;
        }

        _inlineAllowed = false;

        try
        {
            if (_remainder.Chunk is not null || HasCommands)
            {
                return false;
            }

            if (_transforms)
            {
                // The mechanism boxes the message here, on the sender's thread: a request reaches the wire
                // without a hop to the write loop, as with NULL. Holding the send side keeps its nonces in order.
                if (!_pipe.TryTakeLoneMessage(_mechanism.MaxEncodedLength(0), out var message))
                {
                    return false;
                }

                WriteInline(EncodeTransformed(message));
            }
            else
            {
                if (!_pipe.TryTakeLone(out var segment))
                {
                    return false;
                }

                WriteInline(segment);
            }
        }
        finally
        {
            Volatile.Write(ref _writeOwner, 0);
        }

        // Whatever came in meanwhile, or is left over, is the write loop's.
        if (_remainder.Chunk is not null || _pipe.OutboundCount > 0 || HasCommands)
        {
            _pipe.OutboundSignal.Set();
        }

        return true;
    }

    /// <summary>
    /// Called by a sender that found the pipe full, before it waits: when no write is under way it
    /// writes the queued chunks itself, without blocking, until the socket's buffer is full. Room then
    /// comes at once instead of through a wake-up of the write loop and another of the sender, so a
    /// streaming sender and the writing take turns on one thread, a whole HWM of messages per system
    /// call. False when it took nothing.
    /// </summary>
    public bool TryWriteQueued()
    {
        if (!_ready || _draining || _framing == 1 || _transforms || Volatile.Read(ref _writeOwner) != 0 || Interlocked.CompareExchange(ref _writeOwner, 1, 0) != 0)
        {
            return false;
        }

        var took = false;
        try
        {
            while (_remainder.Chunk is null && !HasCommands && _pipe.TryTakeChunk(out var segment))
            {
                took = true;
                if (!WriteInline(segment))
                {
                    break;
                }
            }
        }
        finally
        {
            Volatile.Write(ref _writeOwner, 0);
        }

        if (_remainder.Chunk is not null || _pipe.OutboundCount > 0 || HasCommands)
        {
            _pipe.OutboundSignal.Set();
        }

        return took;
    }

    /// <summary>Writes a chunk without blocking, the send side held; false when the socket took only part (the rest is the write loop's) or failed.</summary>
    private bool WriteInline(StreamPipe.Segment segment)
    {
        var data = segment.Chunk.AsSpan(0, segment.Length);
        int sent;
        SocketError error;
        try
        {
            sent = _socket.Send(data, SocketFlags.None, out error);
        }
        catch (ObjectDisposedException)
        {
            // The connection is closing under us: its fate is the read loop's to report, not the sender's.
            sent = 0;
            error = SocketError.OperationAborted;
        }

        if (error == SocketError.Success && sent == data.Length)
        {
            _pipe.Recycle(segment.Chunk!);
            return true;
        }
        else if (error is SocketError.Success or SocketError.WouldBlock)
        {
            // The socket buffer is full: the write loop finishes this chunk before anything else.
            _remainder = segment;
            _remainderOffset = Math.Max(sent, 0);
        }
        else
        {
            StreamPipe.Release(segment);
            Abort($"write failed: {error}");
        }

        return false;
    }

    /// <summary>Writes the owed PONG and the queued commands, framed by the mechanism, in as few system calls as fit.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteCommandsAsync()
    {
        var scratch = ArrayPool<byte>.Shared.Rent(4096);
        var used = 0;
        try
        {
            while (TryTakeCommand(out var flags, out var body))
            {
                var need = _framing == 1 ? Zmtp1Codec.MaxHeaderSize + body.Length : _mechanism.MaxEncodedLength(body.Length);
                if (scratch.Length - used < need)
                {
                    scratch = await MakeRoomAsync(scratch, used, need).ConfigureAwait(false);
                    used = 0;
                }

                if (_framing == 1)
                {
                    // Only subscriptions (as messages) go to a ZMTP 1.0 peer: it has no commands.
                    used += Zmtp1Codec.WriteHeader(scratch.AsSpan(used), false, body.Length);
                    body.CopyTo(scratch.AsSpan(used));
                    used += body.Length;
                }
                else
                {
                    used += _mechanism.Encode(flags, body, scratch.AsSpan(used));
                }
            }

            if (used > 0)
            {
                await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private bool TryTakeCommand(out byte flags, out byte[] body)
    {
        if (Interlocked.Exchange(ref _pendingPong, null) is { } pong)
        {
            flags = Zmtp.FlagCommand;
            body = pong;
            return true;
        }

        if (_commands.TryDequeue(out var command))
        {
            (flags, body) = command;
            Interlocked.Add(ref _queuedCommandBytes, -(body.Length + QueuedCommandOverhead));
            return true;
        }

        flags = 0;
        body = [];
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBatchAsync(List<StreamPipe.Segment> batch)
    {
        if (_transforms)
        {
            await WriteTransformedAsync(batch).ConfigureAwait(false);
            return;
        }

        var next = 0;
        try
        {
            for (; next < batch.Count; next++)
            {
                var segment = batch[next];
                if (segment.Chunk is not null)
                {
                    await SendAllAsync(segment.Chunk.AsMemory(0, segment.Length)).ConfigureAwait(false);
                    _pipe.Recycle(segment.Chunk);
                }
                else
                {
                    await WriteLargeAsync(segment.Message!).ConfigureAwait(false);
                    segment.Message!.Release();
                    _pipe.OnWritten();
                }
            }
        }
        finally
        {
            // On failure the rest of the batch is lost with the connection, as in libzmq.
            for (; next < batch.Count; next++)
            {
                StreamPipe.Release(batch[next]);
            }

            batch.Clear();
        }
    }

    /// <summary>
    /// Writes queued messages through a mechanism that transforms bytes. Such a pipe queues messages
    /// unencoded (see StreamPipe): the encoding depends on this connection's keys and nonces, so it
    /// happens here, at write time, many messages to a 64 KB buffer and one system call per buffer.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteTransformedAsync(List<StreamPipe.Segment> batch)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(StreamPipe.ChunkSize);
        var used = 0;
        var next = 0;
        try
        {
            for (; next < batch.Count; next++)
            {
                var message = batch[next].Message!;
                var count = message.FrameCount;
                for (var i = 0; i < count; i++)
                {
                    var frame = message.FrameAt(i);
                    var need = _mechanism.MaxEncodedLength(frame.Length);
                    if (scratch.Length - used < need)
                    {
                        scratch = await MakeRoomAsync(scratch, used, need).ConfigureAwait(false);
                        used = 0;
                    }

                    used += _mechanism.Encode(i < count - 1 ? Zmtp.FlagMore : (byte)0, frame.Span, scratch.AsSpan(used));
                }

                message.Release();
            }

            if (used > 0)
            {
                await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
            }
        }
        finally
        {
            for (; next < batch.Count; next++)
            {
                StreamPipe.Release(batch[next]);
            }

            batch.Clear();
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Encodes a message that fits a chunk through the mechanism into a chunk of its own (send side held).</summary>
    private StreamPipe.Segment EncodeTransformed(MessageBody message)
    {
        var chunk = _pipe.RentChunk();
        var used = 0;
        try
        {
            var count = message.FrameCount;
            for (var i = 0; i < count; i++)
            {
                used += _mechanism.Encode(i < count - 1 ? Zmtp.FlagMore : (byte)0, message.FrameAt(i).Span, chunk.AsSpan(used));
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(chunk);
            throw;
        }
        finally
        {
            message.Release();
        }

        return new StreamPipe.Segment(chunk, used, 1, null);
    }

    /// <summary>
    /// Writes what the scratch buffer holds, then returns a buffer of at least <paramref name="need"/>
    /// bytes (the same one, or a larger one from the pool in its place), empty.
    /// </summary>
    private async ValueTask<byte[]> MakeRoomAsync(byte[] scratch, int used, int need)
    {
        if (used > 0)
        {
            await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
        }

        if (scratch.Length < need)
        {
            ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(need);
        }

        return scratch;
    }

    /// <summary>Writes a message that has a large frame: headers and small frames through a scratch buffer, large frames from their own.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteLargeAsync(MessageBody message)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(StreamPipe.CopyThreshold + Zmtp1Codec.MaxHeaderSize);
        try
        {
            await WriteLargeAsync(message, scratch).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The same through a caller's scratch buffer (at least CopyThreshold plus a header), in the peer's
    /// framing: ZMTP 3 and 2.0 share their data frames; ZMTP 1.0 heads them differently.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteLargeAsync(MessageBody message, byte[] scratch)
    {
        var used = 0;
        var count = message.FrameCount;
        for (var i = 0; i < count; i++)
        {
            var frame = message.FrameAt(i);
            var small = frame.Length <= StreamPipe.CopyThreshold;
            if (scratch.Length - used < Zmtp1Codec.MaxHeaderSize + (small ? frame.Length : 0))
            {
                await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
            }

            var more = i < count - 1;
            used += _framing == 1
                ? Zmtp1Codec.WriteHeader(scratch.AsSpan(used), more, frame.Length)
                : FrameEncoder.WriteHeader(scratch.AsSpan(used), more ? Zmtp.FlagMore : (byte)0, frame.Length);
            if (small)
            {
                frame.Span.CopyTo(scratch.AsSpan(used));
                used += frame.Length;
            }
            else
            {
                await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
                await SendAllAsync(frame.Memory).ConfigureAwait(false);
            }
        }

        if (used > 0)
        {
            await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _io.SendAsync(data).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
