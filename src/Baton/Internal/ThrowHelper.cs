using System.Diagnostics.CodeAnalysis;

namespace Baton.Internal;

/// <summary>Throws for hot members, so that the members themselves stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowMessageNotLive(bool isDefault) => throw new ObjectDisposedException(
        "Message",
        isDefault
            ? "default(Message) is no message: create one with new Message()."
            : "The message was sent or disposed and must not be used again (a sent message belongs to the socket; frames taken out of a message before stay valid).");

    [DoesNotReturn]
    public static void ThrowFrameIndexOutOfRange(int index, int count)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"The message has {count} frame(s).");

    [DoesNotReturn]
    public static void ThrowEmptyMessage(string paramName)
        => throw new ArgumentException("A message must have at least one frame: ZeroMQ has no zero-frame messages.", paramName);
}
