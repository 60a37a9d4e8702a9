using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>Round-robin over the pipes with room, as PUSH, DEALER and REQ send (libzmq lb_t).</summary>
internal sealed class LoadBalancer
{
    private int _next;

    public bool TrySend(Pipe[] pipes, MessageBody message, out Pipe? chosen)
    {
        var count = pipes.Length;
        if (count == 1)
        {
            // One peer, the usual case: no shared round-robin counter to bump.
            chosen = pipes[0];
            if (chosen.TryWrite(message))
            {
                return true;
            }
        }
        else if (count > 1)
        {
            var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
            for (var i = 0; i < count; i++)
            {
                var pipe = pipes[(start + i) % count];
                if (pipe.TryWrite(message))
                {
                    chosen = pipe;
                    return true;
                }
            }
        }

        chosen = null;
        return false;
    }

    /// <summary>Round-robin for a one-frame message given as bytes: pipes that can encode it straight away do.</summary>
    public bool TrySend(Pipe[] pipes, ReadOnlySpan<byte> frame)
    {
        var count = pipes.Length;
        if (count == 1)
        {
            return pipes[0].TryWrite(frame);
        }

        if (count > 1)
        {
            var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
            for (var i = 0; i < count; i++)
            {
                if (pipes[(start + i) % count].TryWrite(frame))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
