using System.Threading.Channels;
using Baton.Engine;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// The receive side of a socket: each pipe keeps its own queue, and receivers take one message per
/// pipe in turn (libzmq fq_t), so a flooding peer cannot push a quiet one's message behind its backlog.
/// A pipe with messages sits in the ready ring exactly once; a channel of tokens, one per queued
/// message, lets receivers wait without polling.
/// </summary>
internal sealed class FairQueue
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<Pipe> _ready = new();
    private readonly Channel<bool> _tokens = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions
    {
        SingleReader = false,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    });

    /// <summary>Queues a message from <paramref name="pipe"/>; false once the queue is completed.</summary>
    public bool Enqueue(Pipe pipe, Message message)
    {
        pipe.OnEnqueued();
        pipe.Inbound.Enqueue(message);
        if (pipe.TryMarkReady())
        {
            _ready.Enqueue(pipe);
        }

        return _tokens.Writer.TryWrite(true);
    }

    /// <summary>Takes the next message in fair order, if any is queued.</summary>
    public bool TryDequeue(out Message message, out Pipe pipe)
    {
        if (!_tokens.Reader.TryRead(out _))
        {
            message = null!;
            pipe = null!;
            return false;
        }

        // A token guarantees a message; it may be invisible for an instant while another receiver
        // holds its pipe between taking a message and putting the pipe back in the ring.
        var spin = new SpinWait();
        while (true)
        {
            if (_ready.TryDequeue(out pipe!))
            {
                if (pipe.Inbound.TryDequeue(out message!))
                {
                    if (!pipe.Inbound.IsEmpty)
                    {
                        _ready.Enqueue(pipe);
                    }
                    else if (pipe.ClearReadyAndRecheck())
                    {
                        _ready.Enqueue(pipe);
                    }

                    pipe.OnDequeued();
                    return true;
                }

                if (pipe.ClearReadyAndRecheck())
                {
                    _ready.Enqueue(pipe);
                }

                continue;
            }

            spin.SpinOnce();
        }
    }

    /// <summary>Waits until a message may be available; false once completed and empty.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _tokens.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Ends the queue: waiting receivers wake and see it closed.</summary>
    public void Complete() => _tokens.Writer.TryComplete();
}
