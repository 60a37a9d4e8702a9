using System.Diagnostics;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// Blocking forms of a ring's claims: a try, a short bounded spin, then announced sleeps on the ring's
/// futex words in slices of <see cref="ByteRing.ParkSlice"/>, so every wait also watches for dead
/// writers and readers, a closed queue, a deadline and a cancellation token.
/// </summary>
internal static class RingWaits
{
    // How long a waiter spins before it sleeps adapts, per handle and direction, between 2 and 50 us.
    // Spinning pays only while the peer runs on another core at the same time: then an answer that
    // comes a little after the budget was spent (the wait slept, but for less than the budget again)
    // doubles it, and a ping-pong settles in the sub-microsecond range, awake. Otherwise (an idle queue,
    // or a machine with more runnable threads than cores, where a spinner takes the CPU its peer needs)
    // a wait that slept longer halves it, down to a plain futex sleep. No yields: sched_yield on a loaded
    // machine can give the CPU away for a whole time slice.
    private static readonly long MinSpin = Stopwatch.Frequency * 2 / 1_000_000;
    private static readonly long MaxSpin = Stopwatch.Frequency * 50 / 1_000_000;

    /// <summary>The spin budget a new handle starts with, in Stopwatch ticks.</summary>
    public static readonly long InitialSpin = Stopwatch.Frequency * 8 / 1_000_000;

    // One spin step: false once the budget is spent.
    private static bool SpinStep(ref long started, long budget)
    {
        var now = Stopwatch.GetTimestamp();
        if (started == 0)
            started = now;
        if (now - started >= budget)
            return false;
        Thread.SpinWait(16);
        return true;
    }

    // After a wait that slept: learn from how long it lasted in all.
    private static void Adapt(ref long budget, long spinStarted)
    {
        var waited = Stopwatch.GetTimestamp() - spinStarted;
        var current = Volatile.Read(ref budget);
        Volatile.Write(ref budget, waited < 2 * current ? Math.Min(MaxSpin, current * 2) : Math.Max(MinSpin, current / 2));
    }

    // The next sleep: a park slice, or less when the deadline is nearer; false once the deadline passed.
    private static bool NextSlice(TimeSpan? timeout, TimeSpan elapsed, out TimeSpan slice)
    {
        slice = ByteRing.ParkSlice;
        if (timeout is not { } limit || limit == Timeout.InfiniteTimeSpan)
            return true;
        var remaining = limit - elapsed;
        if (remaining <= TimeSpan.Zero)
            return false;
        if (remaining < slice)
            slice = remaining;
        return true;
    }

    /// <summary>Takes a record, waiting up to <paramref name="timeout"/> (null: for ever). Returns Empty on timeout.</summary>
    public static RingStatus Take(ByteRing ring, TimeSpan? timeout, CancellationToken cancellationToken, Func<bool>? stop, out long position, out int length)
    {
        var status = ring.TryTake(checkDead: false, out position, out length);
        if (status != RingStatus.Empty)
            return status;
        cancellationToken.ThrowIfCancellationRequested();
        long spinStart = 0;
        var budget = Volatile.Read(ref ring.ConsumerSpin);
        while (SpinStep(ref spinStart, budget))
        {
            if (ring.MayHaveRecord)
            {
                status = ring.TryTake(checkDead: false, out position, out length);
                if (status != RingStatus.Empty)
                    return status;
            }
        }

        status = TakeSlow(ring, timeout, cancellationToken, stop, out position, out length);
        if (status == RingStatus.Ok)
            Adapt(ref ring.ConsumerSpin, spinStart);
        return status;
    }

    private static RingStatus TakeSlow(ByteRing ring, TimeSpan? timeout, CancellationToken cancellationToken, Func<bool>? stop, out long position, out int length)
    {
        var started = Stopwatch.GetTimestamp();
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(static state => ((ByteRing)state!).WakeConsumers(int.MaxValue), ring) : default;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var checkDead = elapsed >= ByteRing.ParkSlice;
            var sequence = ring.ConsumerSequence;
            ring.AnnounceConsumerSleep(sequence);
            var status = ring.TryTake(checkDead, out position, out length);
            if (status != RingStatus.Empty)
                return status;
            if (stop is not null && stop())
                return RingStatus.Closed;
            if (!NextSlice(timeout, elapsed, out var slice))
                return RingStatus.Empty;

            ring.SleepAsConsumer(sequence, slice);
        }
    }

    /// <summary>Reserves room for a record, waiting up to <paramref name="timeout"/>. Returns Full on timeout.</summary>
    public static RingStatus Reserve(ByteRing ring, int length, TimeSpan? timeout, CancellationToken cancellationToken, Func<bool>? stop, out long position)
    {
        var status = ring.TryReserve(length, checkDead: false, out position);
        if (status != RingStatus.Full)
            return status;
        cancellationToken.ThrowIfCancellationRequested();
        long spinStart = 0;
        var budget = Volatile.Read(ref ring.ProducerSpin);
        while (SpinStep(ref spinStart, budget))
        {
            // Retrying costs the consumers their cache lines (the free scan reads their records): wait for real room.
            if (!ring.AtLowWaterMark())
                continue;
            status = ring.TryReserve(length, checkDead: false, out position);
            if (status != RingStatus.Full)
                return status;
        }

        var started = Stopwatch.GetTimestamp();
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(static state => ((ByteRing)state!).WakeProducers(), ring) : default;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var checkDead = elapsed >= ByteRing.ParkSlice;
            var sequence = ring.ProducerSequence;
            ring.AnnounceProducerSleep(sequence);
            status = ring.TryReserve(length, checkDead, out position);
            if (status != RingStatus.Full)
            {
                if (status == RingStatus.Ok)
                    Adapt(ref ring.ProducerSpin, spinStart);
                return status;
            }
            if (stop is not null && stop())
                return RingStatus.Closed;
            if (!NextSlice(timeout, elapsed, out var slice))
                return RingStatus.Full;

            ring.SleepAsProducer(sequence, slice);
        }
    }

    /// <summary>Waits until a record may be ready to take, without taking it; false on timeout.</summary>
    public static bool Poll(ByteRing ring, TimeSpan? timeout, CancellationToken cancellationToken, Func<bool>? stop)
    {
        if (ring.MayHaveRecord || ring.IsClosed)
            return true;
        long spinStart = 0;
        var budget = Volatile.Read(ref ring.ConsumerSpin);
        while (SpinStep(ref spinStart, budget))
        {
            if (ring.MayHaveRecord)
                return true;
        }

        var started = Stopwatch.GetTimestamp();
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(static state => ((ByteRing)state!).WakeConsumers(int.MaxValue), ring) : default;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var sequence = ring.ConsumerSequence;
            ring.AnnounceConsumerSleep(sequence);
            if (ring.MayHaveRecord || ring.IsClosed || (stop is not null && stop()))
                return true;
            if (!NextSlice(timeout, elapsed, out var slice))
                return false;

            ring.SleepAsConsumer(sequence, slice);
        }
    }

    /// <summary>Waits until every put was marked done; false on timeout.</summary>
    public static bool Join(ByteRing ring, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (ring.UnfinishedTasks == 0)
            return true;
        var started = Stopwatch.GetTimestamp();
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(static state => ((ByteRing)state!).WakeJoiners(), ring) : default;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var elapsed = Stopwatch.GetElapsedTime(started);
            var sequence = ring.JoinSequence;
            ring.AnnounceJoinSleep(true);
            try
            {
                if (ring.UnfinishedTasks == 0)
                    return true;
                if (elapsed >= ByteRing.ParkSlice)
                    ring.RepairDead();
                if (!NextSlice(timeout, elapsed, out var slice))
                    return false;

                ring.SleepAsJoiner(sequence, slice);
            }
            finally
            {
                ring.AnnounceJoinSleep(false);
            }
        }
    }
}
