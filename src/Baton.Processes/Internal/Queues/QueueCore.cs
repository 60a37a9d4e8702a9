using System.Runtime.CompilerServices;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// One process's handle on a shared ring: the mapping, the blocking calls with Python's errors, and a
/// use count so that disposing the handle while another thread waits in it never unmaps memory under
/// that thread.
/// </summary>
internal sealed unsafe class QueueCore : IDisposable
{
    /// <summary>The default ring size: room for tens of thousands of small messages.</summary>
    public const long DefaultCapacity = 1 << 20;

    private readonly RingMemory _memory;
    private readonly Func<bool> _stop;
    private int _users = 1; // the handle itself, plus one per call in progress
    private volatile bool _disposed;

    private QueueCore(RingMemory memory)
    {
        _memory = memory;
        Ring = new ByteRing(memory.Pointer, memory.Length);
        _stop = () => _disposed || ExtraStop?.Invoke() == true;
    }

    /// <summary>The ring.</summary>
    public ByteRing Ring { get; }

    /// <summary>The shared memory's name.</summary>
    public string Name => _memory.Name;

    /// <summary>An extra reason for waits to end (a pipe's peer died), checked between sleeps.</summary>
    public Func<bool>? ExtraStop { get; set; }

    /// <summary>What a wait reports when <see cref="ExtraStop"/> ended it.</summary>
    public Func<Exception>? StopError { get; set; }

    /// <summary>Creates a new queue's memory and ring.</summary>
    public static QueueCore Create(int maxSize, long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        capacity = ByteRing.NormalizeCapacity(capacity);
        var memory = RingMemory.Create(ByteRing.RequiredBytes(capacity), block => ByteRing.Initialize(block.Pointer, capacity, maxSize));
        try
        {
            return new QueueCore(memory);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Opens a queue another process created.</summary>
    public static QueueCore Open(string name)
    {
        var memory = RingMemory.Open(name);
        try
        {
            return new QueueCore(memory);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <summary>Whether this handle was disposed.</summary>
    public bool IsDisposed => _disposed;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        Interlocked.Increment(ref _users);
        if (_disposed)
        {
            Exit();
            ThrowDisposed();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit()
    {
        if (Interlocked.Decrement(ref _users) == 0)
            _memory.Dispose();
    }

    /// <summary>Puts a record, waiting for room.</summary>
    public void Put(ReadOnlySpan<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            var status = RingWaits.Reserve(Ring, payload.Length, timeout, cancellationToken, _stop, out var position);
            if (status != RingStatus.Ok)
                ThrowForPut(status, payload.Length, timeout);
            payload.CopyTo(Ring.Payload(position, payload.Length));
            Ring.Commit(position, payload.Length);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Puts a record of <paramref name="length"/> bytes written in place by <paramref name="write"/>, waiting for room.</summary>
    public void Put<TState>(int length, TState state, System.Buffers.SpanAction<byte, TState> write, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        Enter();
        try
        {
            var status = RingWaits.Reserve(Ring, length, timeout, cancellationToken, _stop, out var position);
            if (status != RingStatus.Ok)
                ThrowForPut(status, length, timeout);
            try
            {
                write(Ring.Payload(position, length), state);
            }
            catch
            {
                Ring.Abandon(position, length);
                throw;
            }

            Ring.Commit(position, length);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Puts a record if there is room now.</summary>
    public bool TryPut(ReadOnlySpan<byte> payload)
    {
        Enter();
        try
        {
            var status = Ring.TryReserve(payload.Length, checkDead: false, out var position);
            if (status == RingStatus.Full)
                return false;
            if (status != RingStatus.Ok)
                ThrowForPut(status, payload.Length, null);
            payload.CopyTo(Ring.Payload(position, payload.Length));
            Ring.Commit(position, payload.Length);
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Takes a record, waiting for one; call <see cref="Release"/> (and <see cref="Exit"/>) after reading it. Enters for the caller.</summary>
    public void Take(TimeSpan? timeout, CancellationToken cancellationToken, out long position, out int length)
    {
        Enter();
        try
        {
            var status = RingWaits.Take(Ring, timeout, cancellationToken, _stop, out position, out length);
            if (status != RingStatus.Ok)
                ThrowForTake(status, timeout);
        }
        catch
        {
            Exit();
            throw;
        }
    }

    /// <summary>Takes a record if one is ready; on true call <see cref="Release"/> (the handle stays entered until then).</summary>
    public bool TryTake(out long position, out int length)
    {
        Enter();
        RingStatus status;
        try
        {
            status = Ring.TryTake(checkDead: false, out position, out length);
        }
        catch
        {
            Exit();
            throw;
        }

        if (status == RingStatus.Ok)
            return true;
        Exit();
        return false;
    }

    /// <summary>Hands a taken record back and leaves the handle.</summary>
    public void Release(long position, int length)
    {
        Ring.Release(position, length);
        Exit();
    }

    /// <summary>Copies a taken record out as a new array, then hands it back.</summary>
    public byte[] CopyOut(long position, int length)
    {
        try
        {
            return new ReadOnlySpan<byte>(Ring.PayloadPointer(position), length).ToArray();
        }
        finally
        {
            Release(position, length);
        }
    }

    /// <summary>Copies a taken record into <paramref name="destination"/>, then hands it back; returns its length.</summary>
    public int CopyOut(System.Buffers.IBufferWriter<byte> destination, long position, int length)
    {
        try
        {
            new ReadOnlySpan<byte>(Ring.PayloadPointer(position), length).CopyTo(destination.GetSpan(length));
            destination.Advance(length);
            return length;
        }
        finally
        {
            Release(position, length);
        }
    }

    /// <summary>Deserializes a taken record in place (no copy out of the ring), then hands it back.</summary>
    public T Read<T>(Baton.Messages.IMessageSerializer<T> serializer, long position, int length)
    {
        try
        {
            return serializer.Deserialize(PointerMemory.Over(Ring.PayloadPointer(position), length));
        }
        finally
        {
            Release(position, length);
        }
    }

    /// <summary>Throws what a failed take means.</summary>
    public void ThrowForTake(RingStatus status, TimeSpan? timeout)
    {
        if (_disposed)
            ThrowDisposed();
        if (status == RingStatus.Closed && ExtraStop?.Invoke() == true && StopError is not null)
            throw StopError();
        throw status == RingStatus.Closed
            ? new QueueClosedException("The queue is closed and empty: no message will come.")
            : new QueueEmptyException($"No message arrived within {timeout}.");
    }

    private void ThrowForPut(RingStatus status, int length, TimeSpan? timeout)
    {
        if (_disposed)
            ThrowDisposed();
        if (status == RingStatus.Closed && ExtraStop?.Invoke() == true && StopError is not null)
            throw StopError();
        throw status switch
        {
            RingStatus.Closed => new QueueClosedException("The queue is closed: no more messages can be put."),
            RingStatus.TooLarge => new ArgumentException($"The message is {length} bytes; this queue carries at most {Ring.MaxPayload} bytes per message (half its capacity of {Ring.Capacity} bytes). Create the queue with a larger capacity.", "item"),
            _ => new QueueFullException($"The queue stayed full for {timeout}."),
        };
    }

    private static void ThrowDisposed() => throw new ObjectDisposedException("queue", "This queue or pipe handle was disposed.");

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // Waiters in this handle look at the flag when they wake.
        Ring.WakeConsumers(int.MaxValue);
        Ring.WakeProducers();
        Exit();
    }
}
