using System.Collections.Concurrent;
using Baton.Engine;
using Baton.Internal;
using Baton.Messages;

namespace Baton.Sockets;

/// <summary>
/// The receive side of a socket: each pipe keeps its own queue, and receivers take one message per
/// pipe in turn (libzmq fq_t), so a flooding peer cannot push a quiet one's message behind its backlog.
/// A pipe with messages sits in the ready ring exactly once. Receivers that find nothing wait on an
/// event count, which costs producers one read per message while nobody waits.
/// </summary>
internal sealed class FairQueue
{
    private readonly ConcurrentQueue<Pipe> _ready = new();
    private readonly EventCount _arrivals;
    private volatile bool _completed;

    // The pipe being served while it is the only one with messages: taken and put back with one
    // atomic exchange per message instead of a trip round the ring.
    private Pipe? _current;

    public FairQueue()
    {
        _arrivals = new EventCount(() => !_ready.IsEmpty || Volatile.Read(ref _current) is not null || _completed);
    }

    /// <summary>Read before <see cref="TryDequeue"/>; pass to the wait if it found nothing.</summary>
    public long Epoch => _arrivals.Epoch;

    /// <summary>True once <see cref="Complete"/> was called.</summary>
    public bool IsCompleted => _completed;

    /// <summary>Queues a message from <paramref name="pipe"/>; false once the queue is completed.</summary>
    public bool Enqueue(Pipe pipe, MessageBody message) => EnqueueBatch(pipe, new ReadOnlySpan<MessageBody>(in message));

    /// <summary>Queues the messages of one read from <paramref name="pipe"/>; false once the queue is completed.</summary>
    public bool EnqueueBatch(Pipe pipe, ReadOnlySpan<MessageBody> batch)
    {
        if (_completed)
        {
            return false;
        }

        pipe.OnEnqueued(batch.Length);
        foreach (var message in batch)
        {
            pipe.Inbound.Enqueue(message);
        }

        if (pipe.TryMarkReady())
        {
            _ready.Enqueue(pipe);
        }

        _arrivals.NotifyIfWaiting();
        return true;
    }

    /// <summary>Takes the next message in fair order, if any is queued.</summary>
    public bool TryDequeue(out MessageBody message, out Pipe pipe)
    {
        var current = Interlocked.Exchange(ref _current, null);
        if (current is not null)
        {
            if (current.Inbound.TryDequeue(out message!))
            {
                Park(current);
                current.OnDequeued();
                pipe = current;
                return true;
            }

            if (current.ClearReadyAndRecheck())
            {
                _ready.Enqueue(current);
            }
        }

        while (_ready.TryDequeue(out pipe!))
        {
            if (pipe.Inbound.TryDequeue(out message!))
            {
                Park(pipe);
                pipe.OnDequeued();
                return true;
            }

            if (pipe.ClearReadyAndRecheck())
            {
                _ready.Enqueue(pipe);
            }
        }

        message = null!;
        pipe = null!;
        return false;
    }

    /// <summary>Puts a pipe we took a message from back where receivers find it, if it has more.</summary>
    private void Park(Pipe pipe)
    {
        if (pipe.Inbound.IsEmpty && !pipe.ClearReadyAndRecheck())
        {
            return;
        }

        // Alone: it stays current. Others waiting: it goes behind them, one message per pipe per turn.
        if (!_ready.IsEmpty || Interlocked.CompareExchange(ref _current, pipe, null) is not null)
        {
            _ready.Enqueue(pipe);
        }

        // A receiver that looked while we held the pipe may be waiting.
        _arrivals.NotifyIfWaiting();
    }

    /// <summary>Moves on each arrival and at completion; receivers that found nothing wait on it.</summary>
    public EventCount Arrivals => _arrivals;

    /// <summary>Waits until something may have arrived since <paramref name="epoch"/>.</summary>
    public ValueTask WaitAsync(long epoch, CancellationToken cancellationToken) => _arrivals.WaitAsync(epoch, cancellationToken);

    /// <summary>Ends the queue: waiting receivers wake and see it closed.</summary>
    public void Complete()
    {
        _completed = true;
        _arrivals.Notify();
    }
}
