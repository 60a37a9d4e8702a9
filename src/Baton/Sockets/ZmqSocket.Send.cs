using System.Runtime.CompilerServices;
using Baton.Internal;
using Baton.Messages;

namespace Baton.Sockets;

// Sending: a fast path that routes under no wait, a slow path that waits for room (EventCount epochs).
public abstract partial class ZmqSocket
{
    /// <summary>
    /// Sends a message, waiting while the socket's type says to wait (PUSH, DEALER, REQ and PAIR at
    /// HWM or with no peer). The socket takes ownership of the message and its buffers: using the
    /// message afterwards throws <see cref="ObjectDisposedException"/>. If the send is cancelled or
    /// throws, the message stays the caller's.
    /// </summary>
    /// <exception cref="ArgumentException">The message has no frames.</exception>
    /// <exception cref="NotSupportedException">This socket type cannot send.</exception>
    /// <exception cref="InvalidOperationException">The send breaks the type's state machine (REQ, REP).</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed, or the message was already sent or disposed.</exception>
    public ValueTask SendAsync(Message message, CancellationToken cancellationToken = default)
    {
        ThrowIfUnsendable(message);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotSend();
        var body = message.TakeForSend(nameof(message));
        var epoch = _writable.Epoch;
        if (TrySendTaken(message, body) || (TryFlushFullPipes() && TrySendTaken(message, body)))
        {
            CountSent();
            return default;
        }

        return SendSlowAsync(message, body, epoch, cancellationToken);
    }

    /// <summary>Refuses a message that was already sent or disposed, or that has no frames.</summary>
    private static void ThrowIfUnsendable(Message message)
    {
        if (message.Body.FrameCount == 0)
        {
            ThrowHelper.ThrowEmptyMessage(nameof(message));
        }
    }

    /// <summary>Routes a body the socket has taken; if routing throws, the message goes back to the caller.</summary>
    private bool TrySendTaken(Message message, MessageBody body)
    {
        try
        {
            return TrySendCore(body);
        }
        catch
        {
            GiveBack(message, body);
            throw;
        }
    }

    /// <summary>
    /// Sends a body the socket made itself (strings, serialized values): nobody holds a handle to it,
    /// and a send that does not happen releases it. The caller checked the socket before encoding.
    /// </summary>
    private ValueTask SendOwnedAsync(MessageBody body, CancellationToken cancellationToken)
    {
        var epoch = _writable.Epoch;
        if (TrySendTaken(default, body) || (TryFlushFullPipes() && TrySendTaken(default, body)))
        {
            CountSent();
            return default;
        }

        return SendSlowAsync(default, body, epoch, cancellationToken);
    }

    /// <summary>The checks of a send, made before a message is encoded so that a refused send encodes nothing.</summary>
    private void ThrowIfCannotSendNow(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotSend();
    }

    /// <summary>Sends one frame holding a copy of <paramref name="data"/>; the copy is pooled, so steady traffic allocates nothing.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotSend();
        var epoch = _writable.Epoch;
        if (TrySendCore(data.Span) || (TryFlushFullPipes() && TrySendCore(data.Span)))
        {
            CountSent();
            return default;
        }

        // Our own copy: nobody holds a handle to it, and a send that does not happen drops it.
        return SendSlowAsync(default, MessageBody.Copy(data.Span), epoch, cancellationToken);
    }

    /// <summary>Waits for room, then sends; <paramref name="message"/> is default when the body is the socket's own copy.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(Message message, MessageBody body, long epoch, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await _writable.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
                epoch = _writable.Epoch;
                ThrowIfClosed();
            }
            catch
            {
                GiveBack(message, body);
                throw;
            }

            if (TrySendTaken(message, body))
            {
                CountSent();
                return;
            }
        }
    }

    /// <summary>
    /// A send found no room: before it waits, pipes whose connection is not writing write their queue on
    /// this thread (StreamPipe.TryFlushFull); true when any did, and the send is worth trying again.
    /// </summary>
    private bool TryFlushFullPipes()
    {
        var flushed = false;
        foreach (var pipe in Pipes)
        {
            flushed |= pipe.TryFlushFull();
        }

        return flushed;
    }

    /// <summary>A send that did not happen: the caller's message becomes usable again; a copy of ours is dropped.</summary>
    private static void GiveBack(Message message, MessageBody body)
    {
        if (message.IsDefault)
        {
            body.Release();
        }
        else
        {
            message.Restore(body);
        }
    }

    /// <summary>Sends a message, blocking the calling thread while the socket must wait.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public void Send(Message message) => TrySend(message, Timeout.InfiniteTimeSpan);

    /// <summary>Sends one frame holding a pooled copy of <paramref name="data"/>, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public void Send(ReadOnlySpan<byte> data) => TrySend(data, Timeout.InfiniteTimeSpan);

    /// <summary>Sends a message, waiting at most <paramref name="timeout"/>; false when it timed out (the message stays the caller's).</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public bool TrySend(Message message, TimeSpan timeout)
    {
        ThrowIfUnsendable(message);
        ThrowIfClosed();
        ThrowIfCannotSend();
        var body = message.TakeForSend(nameof(message));
        return TrySendBody(message, body, timeout);
    }

    private bool TrySendBody(Message message, MessageBody body, TimeSpan timeout)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var epoch = _writable.Epoch;
            if (TrySendTaken(message, body) || (TryFlushFullPipes() && TrySendTaken(message, body)))
            {
                CountSent();
                return true;
            }

            if (!BlockUntil(_writable, epoch, deadline) || _closed)
            {
                GiveBack(message, body);
                ThrowIfClosed();
                return false;
            }
        }
    }

    /// <summary>Sends one frame holding a pooled copy of <paramref name="data"/>, waiting at most <paramref name="timeout"/>; false when it timed out.</summary>
    /// <inheritdoc cref="SendAsync(Message, CancellationToken)" path="/exception"/>
    public bool TrySend(ReadOnlySpan<byte> data, TimeSpan timeout)
    {
        ThrowIfClosed();
        ThrowIfCannotSend();
        if (TrySendCore(data) || (TryFlushFullPipes() && TrySendCore(data)))
        {
            CountSent();
            return true;
        }

        return timeout != TimeSpan.Zero && TrySendBody(default, MessageBody.Copy(data), timeout);
    }

    private static bool BlockUntil(EventCount events, long epoch, long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return events.Wait(epoch, Timeout.InfiniteTimeSpan, CancellationToken.None);
        }

        var left = deadline - Environment.TickCount64;
        return left > 0 && events.Wait(epoch, TimeSpan.FromMilliseconds(left), CancellationToken.None);
    }
}
