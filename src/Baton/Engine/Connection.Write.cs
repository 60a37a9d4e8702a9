using System.Buffers;
using System.Net.Sockets;
using Baton.Messages;
using Baton.Wire;

namespace Baton.Engine;

/// <summary>The write side: many messages per system call; large frames written from their own buffer.</summary>
internal sealed partial class Connection
{
    private async Task WriteLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(WriteBufferSize);
        try
        {
            while (!_abort.IsCancellationRequested)
            {
                var used = 0;
                while (_commands.TryDequeue(out var command))
                {
                    if (used + command.Length > buffer.Length)
                    {
                        await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                        used = 0;
                    }

                    command.CopyTo(buffer, used);
                    used += command.Length;
                }

                while (used < WriteBufferSize / 2 && _pipe.TryDequeue(out var message))
                {
                    try
                    {
                        used = await EncodeAsync(message, buffer, used).ConfigureAwait(false);
                    }
                    finally
                    {
                        message.Release();
                    }
                }

                if (used > 0)
                {
                    await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
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

                await _pipe.OutboundSignal.WaitAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
            Abort(e is SocketException se ? $"write failed: {se.SocketErrorCode}" : _abortReason ?? "closed");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<int> EncodeAsync(Message message, byte[] buffer, int used)
    {
        var count = message.Count;
        for (var i = 0; i < count; i++)
        {
            var frame = message[i];
            var flags = i < count - 1 ? Zmtp.FlagMore : (byte)0;
            if (buffer.Length - used < Zmtp.MaxHeaderSize)
            {
                await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
            }

            used += Zmtp.WriteHeader(buffer.AsSpan(used), flags, frame.Length);
            if (frame.Length <= CopyThreshold)
            {
                if (buffer.Length - used < frame.Length)
                {
                    await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                    used = 0;
                }

                frame.Span.CopyTo(buffer.AsSpan(used));
                used += frame.Length;
            }
            else
            {
                await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
                await SendAllAsync(frame.Memory).ConfigureAwait(false);
            }
        }

        return used;
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await _socket.SendAsync(data, SocketFlags.None, _abort.Token).ConfigureAwait(false);
            data = data[sent..];
        }
    }
}
