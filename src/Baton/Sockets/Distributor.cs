using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// PUB's fan-out: every pipe whose subscriptions match the first frame gets the message; a pipe at
/// HWM drops it. Stream pipes share the message by reference count; inproc peers get their own copy.
/// </summary>
internal static class Distributor
{
    /// <returns>How many matching peers missed the message because they were at HWM.</returns>
    public static int Send(Pipe[] pipes, Message message, bool filter)
    {
        var topic = message.Count > 0 ? message[0].Span : default;
        Pipe? single = null;
        var matches = 0;
        foreach (var pipe in pipes)
        {
            if (!filter || pipe.Subscriptions.Matches(topic))
            {
                single = pipe;
                matches++;
            }
        }

        if (matches == 0)
        {
            message.Release();
            return 0;
        }

        if (matches == 1)
        {
            if (!single!.TryWrite(message))
            {
                message.Release();
                return 1;
            }

            return 0;
        }

        var dropped = 0;
        foreach (var pipe in pipes)
        {
            if (filter && !pipe.Subscriptions.Matches(topic))
            {
                continue;
            }

            if (pipe is InprocPipe)
            {
                var copy = message.CloneForFanOut();
                if (!pipe.TryWrite(copy))
                {
                    copy.Release();
                    dropped++;
                }
            }
            else
            {
                message.AddReferences(1);
                if (!pipe.TryWrite(message))
                {
                    message.Release();
                    dropped++;
                }
            }
        }

        message.Release();
        return dropped;
    }
}
