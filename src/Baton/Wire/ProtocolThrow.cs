using System.Diagnostics.CodeAnalysis;

namespace Baton.Wire;

/// <summary>
/// Throws for the decoder, outside its hot method: building the message and the throw would otherwise
/// bloat the loop and stop it being inlined (as System.IO.Pipelines' ThrowHelper does).
/// </summary>
internal static class ProtocolThrow
{
    [DoesNotReturn]
    public static void ReservedFlags(byte flags)
        => throw new PeerException($"malformed frame: reserved flag bits set (0x{flags:X2})");

    [DoesNotReturn]
    public static void CommandWithMore()
        => throw new PeerException("malformed frame: a command with the MORE flag");

    [DoesNotReturn]
    public static void CommandTooLarge(ulong size)
        => throw new PeerException($"command of {size} bytes is larger than any valid command");

    [DoesNotReturn]
    public static void MessageTooLarge(long maxMessageSize, ulong size)
        => throw new PeerException($"message larger than the maximum message size ({maxMessageSize} bytes): a frame of {size} bytes");

    [DoesNotReturn]
    public static void TooManyFrames(int maxFrames)
        => throw new PeerException($"message of more than the maximum of {maxFrames} frames");
}
