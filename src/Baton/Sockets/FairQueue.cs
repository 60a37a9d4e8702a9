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
        _arrivals = new EventCount(() => HasMessages || _completed);
    }

    /// <summary>True when a message is queued (a hint: another receiver may take it first).</summary>
    public bool HasMessages => !_ready.IsEmpty || Volatile.Read(ref _current) is not null;

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

    /// <summary>
    /// Looks at the message <see cref="TryDequeue"/> would take next without taking it (a hint: a
    /// receiver may take it meanwhile); false when nothing is queued or the next pipe shows nothing.
    /// </summary>
    public bool TryPeek(out MessageBody message, out Pipe pipe)
    {
        if (Volatile.Read(ref _current) is { } current && current.Inbound.TryPeek(out message!))
        {
            pipe = current;
            return true;
        }

        if (_ready.TryPeek(out pipe!) && pipe.Inbound.TryPeek(out message!))
        {
            return true;
        }

        message = null!;
        pipe = null!;
        return false;
    }

    /// <summary>
    /// Drops the messages at the head of the fair order that <paramref name="accepts"/> refuses (those a
    /// receive would drop), until the next one is a message a receive would return (true) or nothing is
    /// queued (false). It takes pipes exactly as a receiver does, so a receiver racing it never sees a
    /// pipe's messages out of order or lost: a message is only ever dropped, never taken and put back.
    /// </summary>
    public bool DropRefusedAhead(Func<MessageBody, Pipe, bool> accepts)
    {
        while (true)
        {
            // Owning the pipe, as TryDequeue does: nobody else takes its messages until we let it go.
            var pipe = Interlocked.Exchange(ref _current, null);
            if (pipe is null && !_ready.TryDequeue(out pipe))
            {
                return false;
            }

            if (!pipe.Inbound.TryPeek(out var head))
            {
                if (pipe.ClearReadyAndRecheck())
                {
                    _ready.Enqueue(pipe);
                }

                continue;
            }

            if (accepts(head, pipe))
            {
                // Back in front, where the next receive takes it; behind the others if a receiver parked one there meanwhile.
                if (Interlocked.CompareExchange(ref _current, pipe, null) is not null)
                {
                    _ready.Enqueue(pipe);
                }

                _arrivals.NotifyIfWaiting();
                return true;
            }

            pipe.Inbound.TryDequeue(out var refused);
            pipe.OnDequeued();
            refused!.Release();
            Park(pipe);
        }
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
