using System.Diagnostics.CodeAnalysis;

namespace Baton.Internal;

/// <summary>Throws for hot members, so that the members themselves stay small enough to inline.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowMessageNotLive(bool sent) => throw new ObjectDisposedException(
        "Message",
        sent
            ? "The message was sent: a sent message belongs to the socket and must not be used again (take frames out before sending to keep them)."
            : "The message was disposed and must not be used again (frames taken out of it before stay valid).");

    [DoesNotReturn]
    public static void ThrowFrameIndexOutOfRange(int index, int count)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"The message has {count} frame(s).");

    [DoesNotReturn]
    public static void ThrowEmptyMessage(string paramName)
        => throw new ArgumentException("A message must have at least one frame: ZeroMQ has no zero-frame messages.", paramName);
}
