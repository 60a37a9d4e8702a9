using System.Diagnostics.CodeAnalysis;
using Baton.Messages;

namespace Baton.Sockets;

// Strings, as pyzmq's send_string/recv_string: UTF-8 frames encoded straight into pooled storage.
public abstract partial class ZmqSocket
{
    /// <summary>
    /// Sends <paramref name="text"/> as a one-frame message, encoded as UTF-8 straight into pooled
    /// storage. Waits as <see cref="SendAsync(Message, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="NotSupportedException">This socket type cannot send.</exception>
    /// <exception cref="InvalidOperationException">The send breaks the type's state machine (REQ, REP).</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask SendStringAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfCannotSendNow(cancellationToken);
        return SendOwnedAsync(MessageBody.OfStrings([text], nameof(text)), cancellationToken);
    }

    /// <summary>Sends <paramref name="text"/> as a one-frame UTF-8 message, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendStringAsync(string, CancellationToken)" path="/exception"/>
    public void SendString(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfCannotSendNow(CancellationToken.None);
        TrySendBody(default, MessageBody.OfStrings([text], nameof(text)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Sends <paramref name="text"/> as a one-frame UTF-8 message, waiting at most <paramref name="timeout"/>; false when it timed out.</summary>
    /// <inheritdoc cref="SendStringAsync(string, CancellationToken)" path="/exception"/>
    public bool TrySendString(string text, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(text);
        ThrowIfCannotSendNow(CancellationToken.None);
        return TrySendBody(default, MessageBody.OfStrings([text], nameof(text)), timeout);
    }

    /// <summary>
    /// Sends one message with a UTF-8 frame per string (pyzmq's <c>send_multipart</c> of strings), as
    /// <c>socket.SendStringsAsync(["topic", "payload"])</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="frames"/> is empty (ZeroMQ has no zero-frame messages).</exception>
    /// <exception cref="ArgumentNullException">One of the strings is null.</exception>
    /// <inheritdoc cref="SendStringAsync(string, CancellationToken)" path="/exception"/>
    public ValueTask SendStringsAsync(ReadOnlySpan<string> frames, CancellationToken cancellationToken = default)
    {
        CheckFrames(frames);
        ThrowIfCannotSendNow(cancellationToken);
        return SendOwnedAsync(MessageBody.OfStrings(frames, nameof(frames)), cancellationToken);
    }

    /// <summary>Sends one message with a UTF-8 frame per string, blocking while the socket must wait.</summary>
    /// <inheritdoc cref="SendStringsAsync(ReadOnlySpan{string}, CancellationToken)" path="/exception"/>
    public void SendStrings(params ReadOnlySpan<string> frames)
    {
        CheckFrames(frames);
        ThrowIfCannotSendNow(CancellationToken.None);
        TrySendBody(default, MessageBody.OfStrings(frames, nameof(frames)), Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Receives a one-frame message and returns its text, decoded as UTF-8 (bytes that are not UTF-8
    /// read as U+FFFD). The message is disposed here.
    /// </summary>
    /// <remarks>
    /// A message of several frames is refused rather than cut: it is consumed (and disposed) and
    /// <see cref="InvalidDataException"/> says how many frames it had. Use
    /// <see cref="ReceiveStringsAsync"/> for multipart messages (a topic and a payload, a ROUTER's
    /// envelope).
    /// </remarks>
    /// <exception cref="InvalidDataException">The message had more than one frame.</exception>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<string> ReceiveStringAsync(CancellationToken cancellationToken = default)
        => ReceiveAsAsync(0, static (message, _) =>
        {
            using (message)
            {
                return SingleFrameText(message);
            }
        }, cancellationToken);

    /// <summary>Receives a one-frame message as UTF-8 text, blocking until one arrives (see <see cref="ReceiveStringAsync"/>).</summary>
    /// <inheritdoc cref="ReceiveStringAsync" path="/exception"/>
    public string ReceiveString()
    {
        using var message = Receive();
        return SingleFrameText(message);
    }

    /// <summary>
    /// Receives a one-frame message as UTF-8 text if one comes within <paramref name="timeout"/>;
    /// otherwise <paramref name="text"/> is null (see <see cref="ReceiveStringAsync"/>).
    /// </summary>
    /// <inheritdoc cref="ReceiveStringAsync" path="/exception"/>
    public bool TryReceiveString([NotNullWhen(true)] out string? text, TimeSpan timeout)
    {
        if (!TryReceive(out var message, timeout))
        {
            text = null;
            return false;
        }

        using (message)
        {
            text = SingleFrameText(message);
            return true;
        }
    }

    /// <summary>Receives a message and returns each frame decoded as UTF-8. The message is disposed here.</summary>
    /// <exception cref="NotSupportedException">This socket type cannot receive.</exception>
    /// <exception cref="ObjectDisposedException">The socket is closed (also while waiting).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ValueTask<string[]> ReceiveStringsAsync(CancellationToken cancellationToken = default)
        => ReceiveAsAsync(0, static (message, _) =>
        {
            using (message)
            {
                return message.ToStrings();
            }
        }, cancellationToken);

    /// <summary>Receives a message as one string per frame, blocking until one arrives.</summary>
    /// <inheritdoc cref="ReceiveStringsAsync" path="/exception"/>
    public string[] ReceiveStrings()
    {
        using var message = Receive();
        return message.ToStrings();
    }

    private static void CheckFrames(ReadOnlySpan<string> frames)
    {
        if (frames.IsEmpty)
        {
            Internal.ThrowHelper.ThrowEmptyMessage(nameof(frames));
        }
    }

    private static string SingleFrameText(Message message)
    {
        ThrowIfNotOneFrame(message, "a string");
        return message.Body.FrameAt(0).ToString();
    }

    /// <summary>Refuses a message of several frames where one value was expected.</summary>
    private static void ThrowIfNotOneFrame(Message message, string expected)
    {
        var count = message.Count;
        if (count != 1)
        {
            throw new InvalidDataException($"Expected {expected} in a message of one frame, but the message received had {count} frames (it was discarded); receive a Message, or use ReceiveStrings, for multipart messages.");
        }
    }
}
