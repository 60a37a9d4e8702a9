using System.Buffers;
using Baton.Messages;

namespace Baton.Sockets;

// Typed messages through a pluggable binary serializer (IMessageSerializer<T>): one frame per value.
public abstract partial class ZmqSocket
{
    /// <summary>
    /// Sends <paramref name="value"/> as a one-frame message written by <paramref name="serializer"/>
    /// straight into pooled storage. Waits as <see cref="SendAsync(Message, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="serializer"/> is null.</exception>
    /// <exception cref="NotSupportedException">This socket type cannot send.</exception>
    /// <exception cref="InvalidOperationException">The send breaks the type's state machine (REQ, REP).</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask SendAsync<T>(T value, IMessageSerializer<T> serializer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ThrowIfCannotSendNow(cancellationToken);
        return SendOwnedAsync(Serialize(value, serializer), cancellationToken);
    }

    /// <summary>Sends <paramref name="value"/> as a one-frame message written by <paramref name="serializer"/>, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendAsync{T}(T, IMessageSerializer{T}, CancellationToken)" path="/exception"/>
    public void Send<T>(T value, IMessageSerializer<T> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        ThrowIfCannotSendNow(CancellationToken.None);
        TrySendBody(default, Serialize(value, serializer), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Receives a one-frame message and reads a <typeparamref name="T"/> from it with
    /// <paramref name="serializer"/>, in place. The message is disposed here, whatever happens; what
    /// the serializer throws for bad bytes reaches the caller unchanged.
    /// </summary>
    /// <exception cref="InvalidDataException">The message had more than one frame (it is discarded).</exception>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<T> ReceiveAsync<T>(IMessageSerializer<T> serializer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        return ReceiveAsAsync(serializer, static (message, reader) => Deserialize(message, reader), cancellationToken);
    }

    /// <summary>Receives a one-frame message read by <paramref name="serializer"/>, blocking until one arrives.</summary>
    /// <inheritdoc cref="ReceiveAsync{T}(IMessageSerializer{T}, CancellationToken)" path="/exception"/>
    public T Receive<T>(IMessageSerializer<T> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        return Deserialize(Receive(), serializer);
    }

    private static MessageBody Serialize<T>(T value, IMessageSerializer<T> serializer)
    {
        var writer = PooledFrameWriter.Rent();
        try
        {
            serializer.Serialize(writer, value);
        }
        catch
        {
            writer.Abandon();
            throw;
        }

        return MessageBody.Of(writer.ToFrame());
    }

    private static T Deserialize<T>(Message message, IMessageSerializer<T> serializer)
    {
        using (message)
        {
            ThrowIfNotOneFrame(message, "a serialized value");
            return serializer.Deserialize(new ReadOnlySequence<byte>(message.Body.FrameAt(0).Memory));
        }
    }
}
