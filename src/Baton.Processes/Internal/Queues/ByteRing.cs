using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// A many-producer, many-consumer ring of variable-length records in memory shared by processes.
/// </summary>
/// <remarks>
/// <para>Layout: a 1 KB header of 128-byte lines (producers' line, consumers' line, sleepers, tasks),
/// then <c>capacity</c> data bytes (a power of two). Positions are 64-bit and only grow; the index
/// of a position is <c>position &amp; (capacity - 1)</c>. A record is a 16-byte header (a state word:
/// state 8 bits, pid 24 bits, payload length 32 bits; then the record's own position, its stamp) and
/// its payload padded to 8 bytes; a record never wraps: a padding record fills the end of the data area
/// instead. The stamp lets a consumer see that the header at the head belongs to this lap without
/// reading the producers' tail, whose cache line would otherwise travel between cores on every message.</para>
/// <para>Claims happen under two tiny locks, one per side, whose word holds the owner's pid, so a
/// lock whose owner died is stolen. Under the producer lock a producer writes its record's header
/// (WRITING, pid) and moves the tail; then it copies the payload outside the lock and publishes
/// with a release store (READY). Under the consumer lock a consumer takes the READY record at the
/// head, marks it (READING, pid) and moves the head; it reads the payload outside the lock and marks
/// it DONE. Producers reclaim space by moving the free position over DONE records when they need
/// room. A record left WRITING by a dead producer is marked ABANDONED and skipped by the consumer that
/// meets it; one left READING by a dead consumer is reclaimed (its message is lost) by whoever moves
/// the free position. Sleeping is announced in a counter, so a publisher makes a futex call only when
/// someone sleeps.</para>
/// </remarks>
internal sealed unsafe class ByteRing
{
    /// <summary>Bytes before the data area.</summary>
    public const int HeaderSize = 1024;

    /// <summary>Bytes of a record's header: the state word, then the record's own position (its stamp).</summary>
    public const int RecordHeaderSize = 16;

    private const int Magic = 0x4E544142; // "BATN"
    private const int Version = 1;

    // Header offsets: each group on its own 128-byte line (two 64-byte lines, beyond the adjacent-line prefetcher).
    private const int OffMagic = 0;
    private const int OffVersion = 4;
    private const int OffCapacity = 8;
    private const int OffMaxCount = 16;
    private const int OffClosed = 20;
    private const int OffEndPids = 24;    // a pipe's two ends: the pid of the process holding each
    private const int OffTail = 128;      // producers: next position to claim
    private const int OffPuts = 136;      // producers: records claimed (messages put)
    private const int OffFree = 144;      // producers: first position not yet reclaimed
    private const int OffProducerLock = 152;
    private const int OffHead = 256;      // consumers: next position to take
    private const int OffGets = 264;      // consumers: records taken
    private const int OffConsumerLock = 272;
    private const int OffConsumerSleepSeq = 384; // the newest ConsumerSeq value a consumer sleeps (or is about to sleep) on
    private const int OffConsumerSeq = 388;
    private const int OffProducerSleepSeq = 512;
    private const int OffProducerSeq = 516;
    private const int OffTasksDone = 640;
    private const int OffJoinSeq = 648;
    private const int OffJoinWaiters = 652;

    internal const int StateWriting = 1;
    internal const int StateReady = 2;
    internal const int StateReading = 3;
    internal const int StateDone = 4;
    internal const int StateAbandoned = 5;
    internal const int StatePadding = 6;

    /// <summary>How long a sleeper sleeps before it looks again at the processes it depends on.</summary>
    internal static readonly TimeSpan ParkSlice = TimeSpan.FromMilliseconds(100);

    /// <summary>This handle's spin budget before consumers sleep (Stopwatch ticks; adapted by <see cref="RingWaits"/>).</summary>
    internal long ConsumerSpin = RingWaits.InitialSpin;

    /// <summary>This handle's spin budget before producers sleep.</summary>
    internal long ProducerSpin = RingWaits.InitialSpin;

    private readonly byte* _header;
    private readonly byte* _data;
    private readonly long _capacity;
    private readonly long _mask;
    private readonly int _pid;

    /// <summary>Maps a ring already initialised at <paramref name="memory"/> (<paramref name="length"/> bytes).</summary>
    /// <exception cref="InvalidDataException">The memory holds no ring of this version.</exception>
    public ByteRing(byte* memory, long length)
    {
        _header = memory;
        if (length < HeaderSize || *(int*)(memory + OffMagic) != Magic || *(int*)(memory + OffVersion) != Version)
            throw new InvalidDataException("The shared memory holds no Baton queue ring of this version.");
        _capacity = *(long*)(memory + OffCapacity);
        if (_capacity <= 0 || (_capacity & (_capacity - 1)) != 0 || HeaderSize + _capacity > length)
            throw new InvalidDataException("The shared memory's queue ring header is damaged.");
        _data = memory + HeaderSize;
        _mask = _capacity - 1;
        _pid = Environment.ProcessId;
    }

    /// <summary>The memory a ring of <paramref name="capacity"/> data bytes needs.</summary>
    public static long RequiredBytes(long capacity) => HeaderSize + capacity;

    /// <summary>Rounds a requested capacity up to a usable power of two (at least 4 KB).</summary>
    public static long NormalizeCapacity(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1L << 40);
        return Math.Max(4096, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)capacity));
    }

    /// <summary>Writes an empty ring into zeroed memory; <paramref name="maxCount"/> 0 means no bound on the count.</summary>
    public static void Initialize(byte* memory, long capacity, int maxCount)
    {
        Debug.Assert((capacity & (capacity - 1)) == 0);
        *(long*)(memory + OffCapacity) = capacity;
        *(int*)(memory + OffMaxCount) = maxCount;
        *(int*)(memory + OffVersion) = Version;
        Volatile.Write(ref *(int*)(memory + OffMagic), Magic);
    }

    /// <summary>Data bytes.</summary>
    public long Capacity => _capacity;

    /// <summary>The largest payload one record can carry: a record plus the padding before it must fit.</summary>
    public int MaxPayload => (int)Math.Min(int.MaxValue, (_capacity / 2) - RecordHeaderSize);

    /// <summary>The bound on the number of messages, or 0.</summary>
    public int MaxCount => *(int*)(_header + OffMaxCount);

    /// <summary>Messages put and not yet taken (approximate while others work).</summary>
    public long Count => Math.Max(0, Volatile.Read(ref Long(OffPuts)) - Volatile.Read(ref Long(OffGets)));

    /// <summary>Whether the queue was closed (no more puts).</summary>
    public bool IsClosed => Volatile.Read(ref Int(OffClosed)) != 0;

    /// <summary>Messages put and not yet marked done (JoinableQueue).</summary>
    public long UnfinishedTasks => Math.Max(0, Volatile.Read(ref Long(OffPuts)) - Volatile.Read(ref Long(OffTasksDone)));

    /// <summary>The pid recorded for a pipe end (0 or 1), or 0.</summary>
    public int EndPid(int end) => Volatile.Read(ref Int(OffEndPids + (4 * end)));

    /// <summary>Records this process as the holder of a pipe end.</summary>
    public void ClaimEnd(int end) => Volatile.Write(ref Int(OffEndPids + (4 * end)), _pid);

    private ref long Long(int offset) => ref *(long*)(_header + offset);

    private ref int Int(int offset) => ref *(int*)(_header + offset);

    private int* IntPtr(int offset) => (int*)(_header + offset);

    private long* RecordAt(long position) => (long*)(_data + (position & _mask));

    // The state word first, then the stamp with release semantics: a consumer that reads the stamp reads
    // a header of this lap. The stamp is ~position, never 0, and reclaimed room is zeroed (AdvanceFree),
    // so neither a fresh ring nor old payload bytes can pass for a header.
    private void WriteHeader(long position, long word)
    {
        var record = RecordAt(position);
        Volatile.Write(ref record[0], word);
        Volatile.Write(ref record[1], ~position);
    }

    // Whether the header at position was written for this position (not left from an earlier lap).
    private bool IsStamped(long position) => Volatile.Read(ref RecordAt(position)[1]) == ~position;

    // Zeroes [from, to) of the data area, across the wrap.
    private void Clear(long from, long to)
    {
        while (from < to)
        {
            var index = from & _mask;
            var run = Math.Min(to - from, _capacity - index);
            new Span<byte>(_data + index, (int)Math.Min(run, int.MaxValue)).Clear();
            from += Math.Min(run, int.MaxValue);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Pack(int state, int pid, int length) => ((long)(uint)length << 32) | ((long)(uint)(pid & 0xFFFFFF) << 8) | (uint)state;

    private static int StateOf(long word) => (int)(word & 0xFF);

    private static int PidOf(long word) => (int)((word >> 8) & 0xFFFFFF);

    private static int LengthOf(long word) => (int)(uint)(word >> 32);

    private static long TotalOf(long word) => RecordHeaderSize + Align8(LengthOf(word));

    private static long Align8(long n) => (n + 7) & ~7L;

    /// <summary>The payload of the record at <paramref name="position"/>.</summary>
    public Span<byte> Payload(long position, int length) => new(_data + (position & _mask) + RecordHeaderSize, length);

    /// <summary>The address of the payload of the record at <paramref name="position"/>.</summary>
    public byte* PayloadPointer(long position) => _data + (position & _mask) + RecordHeaderSize;

    // ---------------------------------------------------------------- producers

    /// <summary>
    /// Claims room for a record of <paramref name="length"/> bytes without waiting. On success the
    /// record is WRITING: fill <see cref="Payload"/>, then <see cref="Commit"/> (or <see cref="Abandon"/>).
    /// </summary>
    public RingStatus TryReserve(int length, bool checkDead, out long position)
    {
        position = 0;
        if ((uint)length > (uint)MaxPayload)
            return RingStatus.TooLarge;
        var total = RecordHeaderSize + Align8(length);
        var lockWord = IntPtr(OffProducerLock);
        AcquireLock(lockWord);
        try
        {
            if (Int(OffClosed) != 0)
                return RingStatus.Closed;
            var puts = Long(OffPuts);
            var maxCount = Int(OffMaxCount);
            if (maxCount > 0 && puts - Volatile.Read(ref Long(OffGets)) >= maxCount)
                return RingStatus.Full;
            var tail = Long(OffTail);
            var index = tail & _mask;
            var pad = index + total > _capacity ? _capacity - index : 0;
            if (tail + pad + total - Long(OffFree) > _capacity)
            {
                AdvanceFree(checkDead);
                if (tail + pad + total - Long(OffFree) > _capacity)
                    return RingStatus.Full;
            }

            if (pad > 0)
            {
                WriteHeader(tail, Pack(StatePadding, _pid, (int)(pad - RecordHeaderSize)));
                tail += pad;
            }

            WriteHeader(tail, Pack(StateWriting, _pid, length));
            Volatile.Write(ref Long(OffPuts), puts + 1);
            // Release: a consumer that reads the new tail also sees the headers written above.
            Volatile.Write(ref Long(OffTail), tail + total);
            position = tail;
            return RingStatus.Ok;
        }
        finally
        {
            Volatile.Write(ref *lockWord, 0);
        }
    }

    /// <summary>Publishes a reserved record and wakes a consumer if one said it sleeps.</summary>
    public void Commit(long position, int length)
    {
        Volatile.Write(ref *RecordAt(position), Pack(StateReady, _pid, length));
        // Store-load fence: either a consumer about to sleep sees READY, or we see its announcement.
        Interlocked.MemoryBarrier();
        WakeSleeping(OffConsumerSeq, OffConsumerSleepSeq);
    }

    /// <summary>Gives up a reserved record: consumers skip it (it counts as a finished task).</summary>
    public void Abandon(long position, int length)
    {
        Interlocked.Increment(ref Long(OffTasksDone));
        Volatile.Write(ref *RecordAt(position), Pack(StateAbandoned, _pid, length));
        Interlocked.MemoryBarrier();
        WakeSleeping(OffConsumerSeq, OffConsumerSleepSeq);
    }

    // Under the producer lock: moves the free position over records nobody needs any more.
    private void AdvanceFree(bool checkDead)
    {
        var free = Long(OffFree);
        var head = Volatile.Read(ref Long(OffHead));
        while (free < head)
        {
            var record = RecordAt(free);
            var word = Volatile.Read(ref *record);
            var state = StateOf(word);
            if (state is StateDone or StateAbandoned or StatePadding)
            {
                free += TotalOf(word);
                continue;
            }

            // READING by a consumer that died: its message is lost (at most once); reclaim the room.
            if (state == StateReading && checkDead && !RingParking.IsAlive(PidOf(word))
                && Interlocked.CompareExchange(ref *record, Pack(StateDone, PidOf(word), LengthOf(word)), word) == word)
            {
                Interlocked.Increment(ref Long(OffTasksDone));
                free += TotalOf(word);
                continue;
            }

            break;
        }

        var old = Long(OffFree);
        if (free != old)
        {
            Clear(old, free);
            Volatile.Write(ref Long(OffFree), free);
        }
    }

    /// <summary>Reclaims what dead consumers left behind (under the producer lock); for waits that watch for crashes.</summary>
    public void RepairDead()
    {
        var lockWord = IntPtr(OffProducerLock);
        AcquireLock(lockWord);
        try
        {
            AdvanceFree(checkDead: true);
        }
        finally
        {
            Volatile.Write(ref *lockWord, 0);
        }
    }

    // ---------------------------------------------------------------- consumers

    /// <summary>Whether a record may be waiting at the head (a cheap look without the lock).</summary>
    public bool MayHaveRecord => IsStamped(Volatile.Read(ref Long(OffHead)));

    /// <summary>
    /// Takes the record at the head without waiting. On success it is READING: read <see cref="Payload"/>,
    /// then <see cref="Release"/>. <see cref="RingStatus.Empty"/> also covers a record still being written.
    /// </summary>
    public RingStatus TryTake(bool checkDead, out long position, out int length)
    {
        position = 0;
        length = 0;
        var lockWord = IntPtr(OffConsumerLock);
        AcquireLock(lockWord);
        try
        {
            var head = Long(OffHead);
            while (true)
            {
                if (!IsStamped(head))
                    return Volatile.Read(ref Int(OffClosed)) != 0 && head == Volatile.Read(ref Long(OffTail)) ? RingStatus.Closed : RingStatus.Empty;

                var record = RecordAt(head);
                var word = Volatile.Read(ref *record);
                switch (StateOf(word))
                {
                    case StateReady:
                        length = LengthOf(word);
                        Volatile.Write(ref *record, Pack(StateReading, _pid, length));
                        position = head;
                        Volatile.Write(ref Long(OffHead), head + TotalOf(word));
                        Volatile.Write(ref Long(OffGets), Long(OffGets) + 1);
                        return RingStatus.Ok;
                    case StatePadding:
                        // A producer that died inside its critical section may have left a padding
                        // record without moving the tail; never move the head past the tail.
                        if (head + TotalOf(word) > Volatile.Read(ref Long(OffTail)))
                            return RingStatus.Empty;
                        head += TotalOf(word);
                        Volatile.Write(ref Long(OffHead), head);
                        continue;
                    case StateAbandoned:
                        head += TotalOf(word);
                        Volatile.Write(ref Long(OffHead), head);
                        Volatile.Write(ref Long(OffGets), Long(OffGets) + 1);
                        continue;
                    case StateReading:
                        // A consumer died holding this lock between marking the record and moving the head.
                        head += TotalOf(word);
                        Volatile.Write(ref Long(OffHead), head);
                        Volatile.Write(ref Long(OffGets), Long(OffGets) + 1);
                        continue;
                    case StateWriting:
                        if (!checkDead && Volatile.Read(ref Int(OffClosed)) == 0)
                            return RingStatus.Empty;
                        if (head >= Volatile.Read(ref Long(OffTail)))
                        {
                            // Left by a producer that died before moving the tail: not a record yet.
                            return Volatile.Read(ref Int(OffClosed)) != 0 ? RingStatus.Closed : RingStatus.Empty;
                        }

                        if (checkDead && !RingParking.IsAlive(PidOf(word))
                            && Interlocked.CompareExchange(ref *record, Pack(StateAbandoned, PidOf(word), LengthOf(word)), word) == word)
                        {
                            // The producer died mid-write: its message is dropped, never delivered half.
                            Interlocked.Increment(ref Long(OffTasksDone));
                            continue;
                        }

                        return RingStatus.Empty;
                    default:
                        throw new InvalidDataException($"The queue ring is damaged: record state {StateOf(word)} at position {head}.");
                }
            }
        }
        finally
        {
            Volatile.Write(ref *lockWord, 0);
        }
    }

    /// <summary>Hands a taken record's room back and wakes a producer if one waits for room.</summary>
    public void Release(long position, int length)
    {
        Volatile.Write(ref *RecordAt(position), Pack(StateDone, _pid, length));
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Int(OffProducerSleepSeq)) == Volatile.Read(ref Int(OffProducerSeq)) && AtLowWaterMark())
            WakeSleeping(OffProducerSeq, OffProducerSleepSeq);
    }

    /// <summary>
    /// Whether a producer waiting for room should look again: half the ring (or half the count bound)
    /// is free. Waking at a low-water mark rather than at every release keeps a full queue from turning
    /// into a futex call per message on both sides.
    /// </summary>
    public bool AtLowWaterMark()
    {
        var head = Volatile.Read(ref Long(OffHead));
        var maxCount = Int(OffMaxCount);
        if (maxCount > 0 && Volatile.Read(ref Long(OffPuts)) - Volatile.Read(ref Long(OffGets)) <= maxCount / 2)
            return true;
        return head - Volatile.Read(ref Long(OffFree)) >= _capacity / 2 || head == Volatile.Read(ref Long(OffTail));
    }

    // ---------------------------------------------------------------- closing and tasks

    /// <summary>Closes the queue for everyone: puts fail from now on; consumers drain, then see Closed.</summary>
    public void Close()
    {
        var lockWord = IntPtr(OffProducerLock);
        AcquireLock(lockWord);
        Volatile.Write(ref Int(OffClosed), 1);
        Volatile.Write(ref *lockWord, 0);
        WakeConsumers(int.MaxValue);
        WakeProducers();
    }

    /// <summary>Marks one task done; false when that would exceed the number of puts.</summary>
    public bool TaskDone()
    {
        var done = Interlocked.Increment(ref Long(OffTasksDone));
        if (done > Volatile.Read(ref Long(OffPuts)))
        {
            Interlocked.Decrement(ref Long(OffTasksDone));
            return false;
        }

        if (Volatile.Read(ref Int(OffJoinWaiters)) > 0)
        {
            Interlocked.Increment(ref Int(OffJoinSeq));
            RingParking.Wake(IntPtr(OffJoinSeq), int.MaxValue);
        }

        return true;
    }

    // ---------------------------------------------------------------- sleeping

    /// <summary>The consumers' wake-up word; read it before <see cref="AnnounceConsumerSleep"/>.</summary>
    public int ConsumerSequence => Volatile.Read(ref Int(OffConsumerSeq));

    /// <summary>The producers' wake-up word.</summary>
    public int ProducerSequence => Volatile.Read(ref Int(OffProducerSeq));

    /// <summary>The join waiters' wake-up word.</summary>
    public int JoinSequence => Volatile.Read(ref Int(OffJoinSeq));

    /// <summary>The newest <see cref="ConsumerSequence"/> a consumer announced sleeping on (how a test knows a getter is parked).</summary>
    public int ConsumerSleepSequence => Volatile.Read(ref Int(OffConsumerSleepSeq));

    /// <summary>The newest <see cref="ProducerSequence"/> a producer announced sleeping on (how a test knows a putter is parked).</summary>
    public int ProducerSleepSequence => Volatile.Read(ref Int(OffProducerSleepSeq));

    /// <summary>Sleeps as a consumer (after announcing it and looking once more).</summary>
    public void SleepAsConsumer(int sequence, TimeSpan timeout) => RingParking.Wait(IntPtr(OffConsumerSeq), sequence, timeout);

    /// <summary>Sleeps as a producer.</summary>
    public void SleepAsProducer(int sequence, TimeSpan timeout) => RingParking.Wait(IntPtr(OffProducerSeq), sequence, timeout);

    /// <summary>Sleeps as a join waiter.</summary>
    public void SleepAsJoiner(int sequence, TimeSpan timeout) => RingParking.Wait(IntPtr(OffJoinSeq), sequence, timeout);

    /// <summary>Says a consumer is about to sleep on <paramref name="sequence"/> (a full fence); look once more before sleeping.</summary>
    public void AnnounceConsumerSleep(int sequence) => AnnounceSleep(OffConsumerSleepSeq, sequence);

    /// <summary>Says a producer is about to sleep on <paramref name="sequence"/> (a full fence).</summary>
    public void AnnounceProducerSleep(int sequence) => AnnounceSleep(OffProducerSleepSeq, sequence);

    // Raises the announced sequence to ours (never lowers it: a late announcer of an older value must not
    // hide a newer sleeper from wakers).
    private void AnnounceSleep(int offset, int sequence)
    {
        ref var announced = ref Int(offset);
        while (true)
        {
            var current = Volatile.Read(ref announced);
            if (current - sequence >= 0)
            {
                // Already announced (or ours is stale, and the futex will not sleep on it).
                Interlocked.MemoryBarrier();
                return;
            }

            if (Interlocked.CompareExchange(ref announced, sequence, current) == current)
                return;
        }
    }

    // A publisher's wake-up: only when someone announced sleeping on the current sequence, and only one
    // publisher per sequence (the one whose increment wins), so a sleeper that is slow to run is not woken
    // again by every message published meanwhile.
    // The caller has fenced between publishing and calling this.
    private void WakeSleeping(int sequenceOffset, int announcedOffset)
    {
        var sequence = Volatile.Read(ref Int(sequenceOffset));
        if (Volatile.Read(ref Int(announcedOffset)) != sequence)
            return;
        if (Interlocked.CompareExchange(ref Int(sequenceOffset), sequence + 1, sequence) == sequence)
            RingParking.Wake(IntPtr(sequenceOffset), int.MaxValue);
    }

    /// <summary>Counts this thread among join waiters (a full fence).</summary>
    public void AnnounceJoinSleep(bool sleeping) => Interlocked.Add(ref Int(OffJoinWaiters), sleeping ? 1 : -1);

    /// <summary>Wakes sleeping consumers (for a closing queue or a cancelled wait).</summary>
    public void WakeConsumers(int count)
    {
        Interlocked.Increment(ref Int(OffConsumerSeq));
        RingParking.Wake(IntPtr(OffConsumerSeq), count);
    }

    /// <summary>Wakes every sleeping producer: room of unknown size came back.</summary>
    public void WakeProducers()
    {
        Interlocked.Increment(ref Int(OffProducerSeq));
        RingParking.Wake(IntPtr(OffProducerSeq), int.MaxValue);
    }

    /// <summary>Wakes join waiters.</summary>
    public void WakeJoiners()
    {
        Interlocked.Increment(ref Int(OffJoinSeq));
        RingParking.Wake(IntPtr(OffJoinSeq), int.MaxValue);
    }

    // ---------------------------------------------------------------- the two locks

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AcquireLock(int* word)
    {
        if (Interlocked.CompareExchange(ref *word, _pid, 0) != 0)
            AcquireLockSlow(word);
    }

    private void AcquireLockSlow(int* word)
    {
        // The critical sections are a few stores long: a holder is either about to leave, descheduled
        // (yield to it), or dead (steal the lock after a while).
        var spinner = default(SpinWait);
        var rounds = 0;
        while (true)
        {
            var owner = Volatile.Read(ref *word);
            if (owner == 0)
            {
                if (Interlocked.CompareExchange(ref *word, _pid, 0) == 0)
                    return;
                continue;
            }

            rounds++;
            if (owner != _pid && (rounds & 1023) == 0 && !RingParking.IsAlive(owner)
                && Interlocked.CompareExchange(ref *word, _pid, owner) == owner)
                return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}

/// <summary>What a ring operation found.</summary>
internal enum RingStatus
{
    /// <summary>Done.</summary>
    Ok,

    /// <summary>No record ready (or one still being written).</summary>
    Empty,

    /// <summary>No room (bytes or count).</summary>
    Full,

    /// <summary>The queue is closed (and, for a consumer, drained).</summary>
    Closed,

    /// <summary>The record cannot fit in this ring at all.</summary>
    TooLarge,
}
