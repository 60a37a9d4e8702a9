using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Baton.Internal;
using Baton.Messages;

namespace Baton.Sockets;

// Receiving: the fair queue, screened by the socket type (OnReceive), async, blocking and streaming forms.
public abstract partial class ZmqSocket
{
    /// <summary>Receives the next message, waiting until one arrives. The message is the caller's: dispose it.</summary>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    public ValueTask<Message> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        return TryReceiveNow(cancellationToken, out var body, out var epoch)
            ? new ValueTask<Message>(new Message(body))
            : ReceiveSlowAsync(epoch, cancellationToken);
    }

    /// <summary>
    /// The start of every async receive: the checks, then a message if one is queued; otherwise the
    /// epoch to wait from. As Channel.ReadAsync, a cancelled token wins even over a queued message.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReceiveNow(CancellationToken cancellationToken, [NotNullWhen(true)] out MessageBody? body, out long epoch)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfClosed();
        ThrowIfCannotReceive();
        BeforeReceive();
        epoch = _inbound.Epoch;
        return TryDequeue(out body);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Message> ReceiveSlowAsync(long epoch, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfReceiveClosed();
            await _inbound.WaitAsync(epoch, cancellationToken).ConfigureAwait(false);
            epoch = _inbound.Epoch;
            if (TryDequeue(out var body))
            {
                return new Message(body);
            }
        }
    }

    /// <summary>
    /// Receives the next message if one comes within <paramref name="timeout"/>, else returns null: a
    /// timeout is an ordinary outcome here, not an exception. A message already queued is returned at
    /// once, allocating nothing; <see cref="TimeSpan.Zero"/> only looks, and
    /// <see cref="Timeout.InfiniteTimeSpan"/> waits as <see cref="ReceiveAsync(CancellationToken)"/> does.
    /// The message is the caller's: dispose it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative and not infinite.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (a cancelled token wins over a queued message).</exception>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    public ValueTask<Message?> TryReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfInvalidTimeout(timeout);
        if (TryReceiveNow(cancellationToken, out var body, out var epoch))
        {
            return new ValueTask<Message?>(new Message(body));
        }

        if (timeout == TimeSpan.Zero)
        {
            return default;
        }

        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);
        return TryReceiveSlowAsync(epoch, deadline, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Message?> TryReceiveSlowAsync(long epoch, long deadline, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfReceiveClosed();
            var left = deadline == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64));
            var woken = await _inbound.Arrivals.TryWaitAsync(epoch, left, cancellationToken).ConfigureAwait(false);
            epoch = _inbound.Epoch;
            if (TryDequeue(out var body))
            {
                return new Message(body);
            }

            if (!woken)
            {
                ThrowIfReceiveClosed();
                return null;
            }
        }
    }

    /// <summary>
    /// Receives a message and turns it into a value with <paramref name="read"/>, which owns (and
    /// disposes) the message: the typed receives (strings, JSON, serializers) share it, and a message
    /// already queued costs no async state machine.
    /// </summary>
    private ValueTask<TResult> ReceiveAsAsync<TState, TResult>(TState state, Func<Message, TState, TResult> read, CancellationToken cancellationToken)
    {
        var pending = ReceiveAsync(cancellationToken);
        return pending.IsCompletedSuccessfully ? new ValueTask<TResult>(read(pending.Result, state)) : AwaitAndRead(pending, state, read);

        static async ValueTask<TResult> AwaitAndRead(ValueTask<Message> pending, TState state, Func<Message, TState, TResult> read)
            => read(await pending.ConfigureAwait(false), state);
    }

    private static void ThrowIfInvalidTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }
    }

    /// <summary>Receives the next message, blocking the calling thread until one arrives.</summary>
    /// <inheritdoc cref="ReceiveAsync(CancellationToken)" path="/exception"/>
    public Message Receive()
    {
        TryReceive(out var message, Timeout.InfiniteTimeSpan);
        return message;
    }

    /// <summary>Receives a message if one comes within <paramref name="timeout"/>; otherwise <paramref name="message"/> is <c>default</c>.</summary>
    /// <inheritdoc cref="ReceiveAsync(CancellationToken)" path="/exception"/>
    public bool TryReceive(out Message message, TimeSpan timeout)
    {
        ThrowIfClosed();
        ThrowIfCannotReceive();
        BeforeReceive();
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            var epoch = _inbound.Epoch;
            if (TryDequeue(out var body))
            {
                message = new Message(body);
                return true;
            }

            ThrowIfReceiveClosed();
            if (!BlockUntil(_inbound.Arrivals, epoch, deadline))
            {
                message = default;
                return false;
            }
        }
    }

    private void ThrowIfReceiveClosed()
    {
        if (_inbound.IsCompleted)
        {
            throw new ObjectDisposedException(GetType().Name, "The socket was closed while waiting to receive.");
        }
    }

    /// <summary>Receives messages until cancelled or the socket closes.</summary>
    public async IAsyncEnumerable<Message> ReceiveAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!_closed)
        {
            Message message;
            try
            {
                message = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }

            yield return message;
        }
    }

    private bool TryDequeue([NotNullWhen(true)] out MessageBody? message)
    {
        while (_inbound.TryDequeue(out var candidate, out var pipe))
        {
            if (OnReceive(ref candidate, pipe == _local ? null : pipe))
            {
                var metrics = Metrics;
                if (metrics.MessagesReceived.Enabled)
                {
                    metrics.MessagesReceived.Add(1, metrics.Tag);
                }

                message = candidate;
                return true;
            }

            candidate.Release();
        }

        message = null;
        return false;
    }
}
