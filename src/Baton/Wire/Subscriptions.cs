namespace Baton.Wire;

/// <summary>
/// The two forms of a subscription change: ZMTP 3.1's SUBSCRIBE/CANCEL commands and ZMTP 3.0's
/// message whose first byte is 1 (subscribe) or 0 (cancel) followed by the topic (RFC 37 and RFC 23).
/// The socket layer always speaks the 3.0 message form; this is the one place that converts.
/// </summary>
internal static class Subscriptions
{
    public const byte SubscribeByte = 1;
    public const byte CancelByte = 0;

    /// <summary>Length of the message form for a topic of <paramref name="topicLength"/> bytes.</summary>
    public static int MessageLength(int topicLength) => 1 + topicLength;

    /// <summary>Writes the message form (1/0 then topic) of a SUBSCRIBE or CANCEL command's data.</summary>
    public static void WriteMessage(Span<byte> destination, bool subscribe, ReadOnlySpan<byte> topic)
    {
        destination[0] = subscribe ? SubscribeByte : CancelByte;
        topic.CopyTo(destination[1..]);
    }

    /// <summary>
    /// Encodes a subscription change in the message form as the frame a peer expects: a data frame
    /// for a ZMTP 3.0 peer, a SUBSCRIBE/CANCEL command body otherwise. Returns the flags and body.
    /// </summary>
    public static (byte Flags, byte[] Body) Encode(ReadOnlySpan<byte> message, bool zmtp30)
        => zmtp30
            ? ((byte)0, message.ToArray())
            : (Zmtp.FlagCommand, Commands.Body(message[0] == SubscribeByte ? Commands.Subscribe : Commands.Cancel, message[1..]));
}
