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
    public static int Send(Pipe[] pipes, MessageBody message, bool filter)
    {
        // One pass, one match per pipe: each earlier match shares the message, the last one takes
        // the caller's reference, so a single subscriber costs no reference count or copy at all.
        var topic = message.FrameCount > 0 ? message.FrameAt(0).Span : default;
        Pipe? last = null;
        var dropped = 0;
        var shared = false;
        foreach (var pipe in pipes)
        {
            if (filter && !pipe.Subscriptions.Matches(topic))
            {
                continue;
            }

            if (last is not null)
            {
                dropped += SendShared(last, message);
                shared = true;
            }

            last = pipe;
        }

        if (last is null)
        {
            message.Release();
            return 0;
        }

        if (shared && last is InprocPipe)
        {
            // Writers may still be encoding the shared message: the inproc receiver, who may
            // change what it received, gets a copy.
            dropped += SendShared(last, message);
            message.Release();
            return dropped;
        }

        if (!last.TryWrite(message))
        {
            message.Release();
            dropped++;
        }

        return dropped;
    }

    private static int SendShared(Pipe pipe, MessageBody message)
    {
        if (pipe is InprocPipe)
        {
            // The inproc receiver owns what it gets: give it its own copy of pooled frames.
            var copy = message.CloneForFanOut();
            if (!pipe.TryWrite(copy))
            {
                copy.Release();
                return 1;
            }

            return 0;
        }

        message.AddReferences(1);
        if (!pipe.TryWrite(message))
        {
            message.Release();
            return 1;
        }

        return 0;
    }
}
