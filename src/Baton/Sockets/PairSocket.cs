using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>PAIR: an exclusive link to one PAIR peer; further peers are refused.</summary>
public sealed class PairSocket : ZmqSocket
{
    /// <summary>Creates a PAIR socket.</summary>
    public PairSocket(SocketOptions? options = null, Context? context = null)
        : base(ZmqSocketType.Pair, options, context)
    {
    }

    private protected override bool TrySendCore(MessageBody message)
    {
        var pipes = Pipes;
        return pipes.Length > 0 && pipes[0].TryWrite(message);
    }

    private protected override bool IsSendReadyCore()
    {
        var pipes = Pipes;
        return pipes.Length > 0 && pipes[0].HasRoom;
    }

    private protected override bool OnConnected(Pipe pipe, out string? refusal)
    {
        foreach (var other in Pipes)
        {
            if (other != pipe && other.IsConnected)
            {
                refusal = "a PAIR socket accepts only one peer and already has one";
                return false;
            }
        }

        refusal = null;
        return true;
    }
}
