using System.Diagnostics;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// Blocking forms of a ring's claims: a try, a short bounded spin, then announced sleeps on the ring's
/// futex words in slices of <see cref="ByteRing.ParkSlice"/>, so every wait also watches for dead
/// writers and readers, a closed queue, a deadline and a cancellation token.
/// </summary>
internal static class RingWaits
{
    // How long a waiter spins before it sleeps: long enough to catch a peer that is about to publish
    // (a futex round trip costs a few microseconds), short enough that two spinning processes do not
    // starve a two-core machine.
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency * 8 / 1_000_000;
    private const int YieldRounds = 2;

    // One spin step: returns false once the spin budget is spent (then a couple of yields).
    private static bool SpinStep(ref long started, ref int yields)
    {
        if (started == 0)
            started = Stopwatch.GetTimestamp();
        if (Stopwatch.GetTimestamp() - started < SpinTicks)
        {
            Thread.SpinWait(16);
            return true;
        }

        if (yields++ < YieldRounds)
        {
            Thread.Yield();
            return true;
        }

        return false;
    }

    /// <summary>Takes a record, waiting up to <paramref name="timeout"/> (null: for ever). Returns Empty on timeout.</summary>
    public static RingStatus Take(ByteRing ring, TimeSpan? timeout, CancellationToken cancellationToken, Func<bool>? stop, out long position, out int length)
    {
        var status = ring.TryTake(checkDead: false, out position, out length);
        if (status != RingStatus.Empty)
            return status;
        cancellationToken.ThrowIfCancellationRequested();
        long spinStart = 0;
        var yields = 0;
        while (SpinStep(ref spinStart, ref yields))
        {
            if (ring.MayHaveRecord)
            {
                status = ring.TryTake(checkDead: false, out position, out length);
                if (status != RingStatus.Empty)
                    return status;
            }
        }

        return TakeSlow(ring, timeout, cancellationToken, stop, out position, out length);
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
            ring.AnnounceConsumerSleep(true);
            try
            {
                var status = ring.TryTake(checkDead, out position, out length);
                if (status != RingStatus.Empty)
                    return status;
                if (stop is not null && stop())
                    return RingStatus.Closed;
                var slice = ByteRing.ParkSlice;
                if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
                {
                    var remaining = limit - elapsed;
                    if (remaining <= TimeSpan.Zero)
                        return RingStatus.Empty;
                    if (remaining < slice)
                        slice = remaining;
                }

                ring.SleepAsConsumer(sequence, slice);
            }
            finally
            {
                ring.AnnounceConsumerSleep(false);
            }
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
        var yields = 0;
        while (SpinStep(ref spinStart, ref yields))
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
            ring.AnnounceProducerSleep(true);
            try
            {
                status = ring.TryReserve(length, checkDead, out position);
                if (status != RingStatus.Full)
                    return status;
                if (stop is not null && stop())
                    return RingStatus.Closed;
                var slice = ByteRing.ParkSlice;
                if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
                {
                    var remaining = limit - elapsed;
                    if (remaining <= TimeSpan.Zero)
                        return RingStatus.Full;
                    if (remaining < slice)
                        slice = remaining;
                }

                ring.SleepAsProducer(sequence, slice);
            }
            finally
            {
                ring.AnnounceProducerSleep(false);
            }
        }
    }

    /// <summary>Waits until a record may be ready to take, without taking it; false on timeout.</summary>
    public static bool Poll(ByteRing ring, TimeSpan? timeout, CancellationToken cancellationToken, Func<bool>? stop)
    {
        if (ring.MayHaveRecord || ring.IsClosed)
            return true;
        long spinStart = 0;
        var yields = 0;
        while (SpinStep(ref spinStart, ref yields))
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
            ring.AnnounceConsumerSleep(true);
            try
            {
                if (ring.MayHaveRecord || ring.IsClosed || (stop is not null && stop()))
                    return true;
                var slice = ByteRing.ParkSlice;
                if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
                {
                    var remaining = limit - elapsed;
                    if (remaining <= TimeSpan.Zero)
                        return false;
                    if (remaining < slice)
                        slice = remaining;
                }

                ring.SleepAsConsumer(sequence, slice);
            }
            finally
            {
                ring.AnnounceConsumerSleep(false);
            }
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
                var slice = ByteRing.ParkSlice;
                if (timeout is { } limit && limit != Timeout.InfiniteTimeSpan)
                {
                    var remaining = limit - elapsed;
                    if (remaining <= TimeSpan.Zero)
                        return false;
                    if (remaining < slice)
                        slice = remaining;
                }

                ring.SleepAsJoiner(sequence, slice);
            }
            finally
            {
                ring.AnnounceJoinSleep(false);
            }
        }
    }
}
