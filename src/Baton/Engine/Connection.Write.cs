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
                var wrote = false;
                while (_commands.TryDequeue(out var command))
                {
                    await SendAllAsync(command).ConfigureAwait(false);
                    wrote = true;
                }

                var bytes = _pipe.TakeAll(batch);
                if (streaming && bytes is > 0 and < SmallWrite)
                {
                    // The sender is still going and we caught up with it: let it get ahead a moment,
                    // so that one system call carries many messages rather than a handful. A lone
                    // message (request/reply) never waits here.
                    await Task.Yield();
                    bytes += _pipe.TakeAll(batch);
                }

                if (batch.Count > 0)
                {
                    streaming = batch.Count > 1 || batch[0].Messages > 1;
                    await WriteBatchAsync(batch).ConfigureAwait(false);
                    continue;
                }

                streaming = false;

                if (wrote)
                {
                    continue;
                }

                if (_draining && _pipe.OutboundCount == 0 && _commands.IsEmpty)
                {
                    _drained.TrySetResult();

                    // Half-close: the peer reads everything, sees end of stream and closes; we keep
                    // reading until then so no unread data turns our close into a reset.
                    _socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                _pipe.ReleaseSpare();
                await _pipe.OutboundSignal.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            Abort(e is SocketException se ? $"write failed: {se.SocketErrorCode}" : _abortReason ?? "closed");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteBatchAsync(List<StreamPipe.Segment> batch)
    {
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

    /// <summary>Writes a message that has a large frame: headers and small frames through a scratch buffer, large frames from their own.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteLargeAsync(Message message)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(StreamPipe.CopyThreshold + Zmtp.MaxHeaderSize);
        try
        {
            var used = 0;
            var count = message.Count;
            for (var i = 0; i < count; i++)
            {
                var frame = message[i];
                if (scratch.Length - used < Zmtp.MaxHeaderSize + Math.Min(frame.Length, StreamPipe.CopyThreshold))
                {
                    await SendAllAsync(scratch.AsMemory(0, used)).ConfigureAwait(false);
                    used = 0;
                }

                used += Zmtp.WriteHeader(scratch.AsSpan(used), i < count - 1 ? Zmtp.FlagMore : (byte)0, frame.Length);
                if (frame.Length <= StreamPipe.CopyThreshold)
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
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, _abort.Token).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
