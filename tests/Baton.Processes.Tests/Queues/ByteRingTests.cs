using System.Buffers.Binary;
using Baton.Processes.Internal.Queues;
using Xunit;

namespace Baton.Processes.Tests.Queues;

/// <summary>The ring's protocol, proven with threads on two mappings of one memory.</summary>
public class ByteRingTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static void Put(ByteRing ring, int producer, int sequence, int extra)
    {
        var length = 8 + extra;
        Assert.Equal(RingStatus.Ok, RingWaits.Reserve(ring, length, Generous, default, null, out var position));
        var payload = ring.Payload(position, length);
        BinaryPrimitives.WriteInt32LittleEndian(payload, producer);
        BinaryPrimitives.WriteInt32LittleEndian(payload[4..], sequence);
        payload[8..].Fill((byte)sequence);
        ring.Commit(position, length);
    }

    [Fact]
    public void ManyProducersManyConsumers_EveryMessageExactlyOnce_InOrderPerProducer()
    {
        const int producers = 3;
        const int consumers = 3;
        const int perProducer = 50_000;
        using var memory = new TwoMappings(capacity: 16 * 1024);
        var seen = new int[producers, perProducer];
        var lastSeen = new int[consumers, producers];
        var taken = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = new List<Thread>();
        for (var p = 0; p < producers; p++)
        {
            var id = p;
            var ring = p % 2 == 0 ? memory.First : memory.Second;
            threads.Add(new Thread(() =>
            {
                for (var i = 0; i < perProducer; i++)
                    Put(ring, id, i, (i * 7 + id) % 61);
            }));
        }

        for (var c = 0; c < consumers; c++)
        {
            var id = c;
            var ring = c % 2 == 0 ? memory.Second : memory.First;
            for (var p = 0; p < producers; p++)
                lastSeen[id, p] = -1;
            threads.Add(new Thread(() =>
            {
                while (Volatile.Read(ref taken) < producers * perProducer)
                {
                    var status = RingWaits.Take(ring, TimeSpan.FromMilliseconds(50), default, null, out var position, out var length);
                    if (status != RingStatus.Ok)
                        continue;
                    var payload = ring.Payload(position, length);
                    var producer = BinaryPrimitives.ReadInt32LittleEndian(payload);
                    var sequence = BinaryPrimitives.ReadInt32LittleEndian(payload[4..]);
                    if (length != 8 + ((sequence * 7 + producer) % 61) || payload[8..].ContainsAnyExcept((byte)sequence))
                        failures.Enqueue($"torn record {producer}/{sequence}");
                    ring.Release(position, length);
                    Interlocked.Increment(ref seen[producer, sequence]);
                    // One consumer sees each producer's messages in the order they were put.
                    if (sequence <= lastSeen[id, producer])
                        failures.Enqueue($"consumer {id} saw {producer}/{sequence} after {lastSeen[id, producer]}");
                    lastSeen[id, producer] = sequence;
                    Interlocked.Increment(ref taken);
                }
            }));
        }

        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            Assert.True(thread.Join(TimeSpan.FromSeconds(60)));
        Assert.Empty(failures);
        for (var p = 0; p < producers; p++)
        {
            for (var i = 0; i < perProducer; i++)
                Assert.Equal(1, seen[p, i]);
        }

        Assert.Equal(0, memory.First.Count);
    }

    [Fact]
    public void SingleProducerSingleConsumer_Fifo_AcrossManyWraps()
    {
        using var memory = new TwoMappings(capacity: 4096);
        var consumer = new Thread(() =>
        {
            for (var i = 0; i < 200_000; i++)
            {
                Assert.Equal(RingStatus.Ok, RingWaits.Take(memory.Second, Generous, default, null, out var position, out var length));
                Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(memory.Second.Payload(position, length)[4..]));
                memory.Second.Release(position, length);
            }
        });
        consumer.Start();
        for (var i = 0; i < 200_000; i++)
            Put(memory.First, 0, i, i % 300);
        Assert.True(consumer.Join(Generous));
    }

    [Fact]
    public void Bounded_ByCount_FullThenRoomAfterTake()
    {
        using var memory = new TwoMappings(capacity: 4096, maxCount: 2);
        Put(memory.First, 0, 0, 0);
        Put(memory.First, 0, 1, 0);
        Assert.Equal(RingStatus.Full, RingWaits.Reserve(memory.First, 8, TimeSpan.FromMilliseconds(20), default, null, out _));
        Assert.Equal(RingStatus.Ok, memory.Second.TryTake(false, out var position, out var length));
        memory.Second.Release(position, length);
        Assert.Equal(RingStatus.Ok, memory.First.TryReserve(8, false, out _));
    }

    [Fact]
    public void Bounded_ByBytes_FullUntilReleased()
    {
        using var memory = new TwoMappings(capacity: 4096);
        var puts = 0;
        while (memory.First.TryReserve(1000, false, out var position) == RingStatus.Ok)
        {
            memory.First.Commit(position, 1000);
            puts++;
        }

        Assert.Equal(4, puts);
        Assert.Equal(RingStatus.Ok, memory.Second.TryTake(false, out var taken, out var length));
        Assert.Equal(RingStatus.Full, memory.First.TryReserve(1000, false, out _)); // taken, not yet released
        memory.Second.Release(taken, length);
        Assert.Equal(RingStatus.Ok, memory.First.TryReserve(1000, false, out _));
    }

    [Fact]
    public void TooLarge_IsRefused()
    {
        using var memory = new TwoMappings(capacity: 4096);
        Assert.Equal(RingStatus.TooLarge, memory.First.TryReserve(memory.First.MaxPayload + 1, false, out _));
        Assert.Equal(RingStatus.Ok, memory.First.TryReserve(memory.First.MaxPayload, false, out _));
    }

    [Fact]
    public void Close_DrainsThenReportsClosed()
    {
        using var memory = new TwoMappings(capacity: 4096);
        Put(memory.First, 0, 0, 0);
        memory.Second.Close();
        Assert.Equal(RingStatus.Closed, memory.First.TryReserve(8, false, out _));
        Assert.Equal(RingStatus.Ok, memory.Second.TryTake(false, out var position, out var length));
        memory.Second.Release(position, length);
        Assert.Equal(RingStatus.Closed, RingWaits.Take(memory.Second, Generous, default, null, out _, out _));
    }

    [Fact]
    public void WriterThatDiedMidWrite_IsSkipped_AndReaderThatDied_IsReclaimed()
    {
        using var memory = new TwoMappings(capacity: 4096);
        var ring = memory.First;
        Assert.Equal(RingStatus.Ok, ring.TryReserve(8, false, out var dead));
        ForgePid(memory, dead, DeadPid());
        Put(ring, 0, 1, 0);
        // The dead writer's record blocks the head until someone checks for dead writers.
        Assert.Equal(RingStatus.Empty, memory.Second.TryTake(checkDead: false, out _, out _));
        Assert.Equal(RingStatus.Ok, memory.Second.TryTake(checkDead: true, out var position, out var length));
        Assert.Equal(1, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(memory.Second.Payload(position, length)[4..]));
        // A reader that dies holding its record: room comes back when producers look for dead readers.
        ForgePid(memory, position, DeadPid());
        while (ring.TryReserve(1000, false, out var p) == RingStatus.Ok)
            ring.Commit(p, 1000);
        while (memory.Second.TryTake(false, out var p, out var l) == RingStatus.Ok)
            memory.Second.Release(p, l);
        Assert.Equal(RingStatus.Full, ring.TryReserve(1000, checkDead: false, out _));
        Assert.Equal(RingStatus.Ok, ring.TryReserve(1000, checkDead: true, out _));
    }

    [Fact]
    public void JoinableCounts_TaskDoneBeyondPutsRefused()
    {
        using var memory = new TwoMappings(capacity: 4096);
        Put(memory.First, 0, 0, 0);
        Assert.False(RingWaits.Join(memory.Second, TimeSpan.FromMilliseconds(10), default));
        Assert.True(memory.Second.TaskDone());
        Assert.False(memory.Second.TaskDone());
        Assert.True(RingWaits.Join(memory.Second, Generous, default));
    }

    // Rewrites a record's pid, as if another process had claimed it.
    private static unsafe void ForgePid(TwoMappings memory, long position, int pid)
    {
        var word = (long*)(memory.First.PayloadPointer(position) - ByteRing.RecordHeaderSize);
        *word = (*word & ~(0xFFFFFFL << 8)) | ((long)pid << 8);
    }

    private static int DeadPid()
    {
        using var process = System.Diagnostics.Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }
}
