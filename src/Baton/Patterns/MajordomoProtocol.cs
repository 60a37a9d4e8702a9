using Baton.Messages;

namespace Baton.Patterns;

/// <summary>
/// The frames of 7/MDP as the ZeroMQ guide's code speaks it (headers MDPC01 and MDPW01), and the few
/// message edits the broker, worker and clients share. See https://rfc.zeromq.org/spec/7/.
/// </summary>
internal static class MajordomoProtocol
{
    /// <summary>Frame 1 of every client request and reply.</summary>
    public static readonly byte[] ClientHeader = "MDPC01"u8.ToArray();

    /// <summary>Frame 1 of every worker command.</summary>
    public static readonly byte[] WorkerHeader = "MDPW01"u8.ToArray();

    public const byte Ready = 0x01;
    public const byte Request = 0x02;
    public const byte Reply = 0x03;
    public const byte Heartbeat = 0x04;
    public const byte Disconnect = 0x05;

    /// <summary>The prefix of the broker's own services (7/MDP's MMI, 8/MMI).</summary>
    public static ReadOnlySpan<byte> InternalServicePrefix => "mmi."u8;

    /// <summary>The service-discovery service: "200" when the named service has workers, "404" when not.</summary>
    public static ReadOnlySpan<byte> ServiceDiscovery => "mmi.service"u8;

    // Frames over static arrays: caller-owned, never returned to a pool and never written, so every
    // message may share them.
    public static readonly Frame ClientHeaderFrame = new(ClientHeader);
    public static readonly Frame WorkerHeaderFrame = new(WorkerHeader);
    public static readonly Frame ReadyFrame = new([Ready]);
    public static readonly Frame RequestFrame = new([Request]);
    public static readonly Frame ReplyFrame = new([Reply]);
    public static readonly Frame HeartbeatFrame = new([Heartbeat]);
    public static readonly Frame DisconnectFrame = new([Disconnect]);

    /// <summary>The command frame for <paramref name="command"/>.</summary>
    public static Frame CommandFrame(byte command) => command switch
    {
        Ready => ReadyFrame,
        Request => RequestFrame,
        Reply => ReplyFrame,
        Heartbeat => HeartbeatFrame,
        _ => DisconnectFrame,
    };

    /// <summary>The command's name in logs.</summary>
    public static string CommandName(byte command) => command switch
    {
        Ready => "READY",
        Request => "REQUEST",
        Reply => "REPLY",
        Heartbeat => "HEARTBEAT",
        Disconnect => "DISCONNECT",
        _ => $"0x{command:x2}",
    };

    /// <summary>Removes the first <paramref name="count"/> frames, returning pooled buffers: nothing escapes, nothing is allocated.</summary>
    public static void RemoveFront(Message message, int count)
    {
        var body = message.Body;
        for (var i = 0; i < count; i++)
        {
            body.PopFrame().ReturnToPool();
        }
    }

    /// <summary>Removes and returns the first frame as it is, to put back into the same message: it stays pooled.</summary>
    public static Frame PopInPlace(Message message) => message.Body.PopFrame();

    /// <summary>A worker command [empty][MDPW01][command] with no further frames, for a DEALER.</summary>
    public static Message WorkerCommand(byte command) => new(Frame.Empty, WorkerHeaderFrame, CommandFrame(command));

    /// <summary>A printable form of a routing identity for logs.</summary>
    public static string Describe(ReadOnlySpan<byte> identity) => Convert.ToHexStringLower(identity);
}
