using Xunit;

namespace Baton.Processes.Tests.Queues;

/// <summary>Queues and pipes between real processes (ChildProcess), including processes killed with SIGKILL.</summary>
public class CrossProcessQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ParentToChild_100k_InOrder()
    {
        using var queue = new ProcessQueue<string>();
        await using var child = ChildProcess.Start(QueueWork.ConsumeInOrder, queue, 100_000);
        for (var i = 0; i < 100_000; i++)
            queue.Put("MESSAGE " + i, Patience);
        Assert.Equal(100_000, await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task ChildToParent_100k_InOrder()
    {
        using var queue = new ProcessQueue<string>(capacity: 64 * 1024);
        await using var child = ChildProcess.Start(QueueWork.Produce, queue, 100_000);
        for (var i = 0; i < 100_000; i++)
            Assert.Equal("MESSAGE " + i, queue.Get(Patience));
        Assert.Equal(100_000, await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task SeveralChildProducersAndConsumers_EveryMessageOnce_InOrderPerProducer()
    {
        const int perProducer = 20_000;
        using var queue = new ProcessQueue<long[]>(capacity: 64 * 1024);
        await using var producer0 = ChildProcess.Start(QueueWork.ProducePairs, queue, 0, perProducer);
        await using var producer1 = ChildProcess.Start(QueueWork.ProducePairs, queue, 1, perProducer);
        await using var consumer0 = ChildProcess.Start(QueueWork.ConsumePairsUntilClosed, queue);
        await using var consumer1 = ChildProcess.Start(QueueWork.ConsumePairsUntilClosed, queue);
        Assert.Equal(perProducer, await producer0.Result.WaitAsync(Patience));
        Assert.Equal(perProducer, await producer1.Result.WaitAsync(Patience));
        queue.Close();
        var seen = new int[2, perProducer];
        foreach (var pairs in new[] { await consumer0.Result.WaitAsync(Patience), await consumer1.Result.WaitAsync(Patience) })
        {
            var last = new long[] { -1, -1 };
            for (var i = 0; i < pairs.Count; i += 2)
            {
                var (producer, sequence) = ((int)pairs[i], (int)pairs[i + 1]);
                Assert.True(sequence > last[producer], "one consumer sees a producer's messages in order");
                last[producer] = sequence;
                seen[producer, sequence]++;
            }
        }

        foreach (var count in seen)
            Assert.Equal(1, count);
    }

    [Fact]
    public async Task ProducerKilledMidStream_QueueGoesOn_NoHalfMessage()
    {
        using var queue = new ByteQueue(capacity: 64 * 1024);
        using var started = new ByteQueue();
        await using var producer = ChildProcess.Start(QueueWork.ProduceForever, queue, started);
        started.Get(Patience);
        // Let it fill the ring and block, or be mid-write: either way it dies holding something.
        for (var i = 0; i < 50; i++)
            CheckWhole(queue.Get(Patience));
        producer.Kill();
        Assert.True(await producer.JoinAsync(Patience));
        // Everything it had fully put comes out whole (a record it was writing is skipped); then the queue is empty.
        while (true)
        {
            try
            {
                CheckWhole(queue.Get(TimeSpan.FromSeconds(1)));
            }
            catch (QueueEmptyException)
            {
                break;
            }
        }

        // And it goes on.
        queue.Put(new byte[] { 7, 7, 7 }, Patience);
        Assert.Equal(3, queue.Get(Patience).Length);
        Assert.True(queue.IsEmpty);
    }

    [Fact]
    public async Task ConsumerKilledWhileBlocked_OthersGoOn()
    {
        using var queue = new ByteQueue();
        using var started = new ByteQueue();
        await using var consumer = ChildProcess.Start(QueueWork.BlockOnGet, queue, started);
        started.Get(Patience);
        consumer.Kill();
        Assert.True(await consumer.JoinAsync(Patience));
        queue.Put([1, 2]);
        Assert.Equal([1, 2], queue.Get(Patience));
    }

    [Fact]
    public async Task Pipe_WithAChild_BothDirections_ThenEndOfStream()
    {
        var (mine, theirs) = Pipe.Create();
        using (mine)
        {
            await using var child = ChildProcess.Start(QueueWork.Echo, theirs);
            theirs.Dispose();
            for (var i = 0; i < 100; i++)
            {
                mine.Send("ping" + i);
                Assert.Equal("ping" + i + "!", mine.Receive<string>(Patience));
            }

            mine.Close();
            Assert.Equal(100, await child.Result.WaitAsync(Patience));
        }
    }

    [Fact]
    public async Task Pipe_PeerKilled_ReceiveEndsInsteadOfHanging()
    {
        var (mine, theirs) = Pipe.Create();
        using (mine)
        {
            await using var child = ChildProcess.Start(QueueWork.Echo, theirs);
            theirs.Dispose();
            mine.Send("hello");
            Assert.Equal("hello!", mine.Receive<string>(Patience));
            child.Kill();
            Assert.True(await child.JoinAsync(Patience));
            Assert.Throws<EndOfStreamException>(() => mine.Receive<string>(Patience));
        }
    }

    [Fact]
    public async Task JoinableQueue_JoinWaitsForAChildsTaskDone()
    {
        using var queue = new JoinableProcessQueue<int>();
        for (var i = 0; i < 100; i++)
            queue.Put(i);
        await using var worker = ChildProcess.Start(QueueWork.WorkAndMarkDone, queue, 100);
        Assert.True(queue.Join(Patience));
        Assert.Equal(100, await worker.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task SharedMemory_GoesWithTheLastOwner_EvenAKilledOne()
    {
        string name;
        using (var queue = new ByteQueue())
        using (var started = new ByteQueue())
        {
            name = queue.Name;
            await using var consumer = ChildProcess.Start(QueueWork.BlockOnGet, queue, started);
            started.Get(Patience);
            consumer.Kill();
            Assert.True(await consumer.JoinAsync(Patience));
        }

        Assert.False(File.Exists("/dev/shm/baton." + name));
    }

    private static void CheckWhole(byte[] message)
    {
        Assert.Equal(4000, message.Length);
        Assert.DoesNotContain(message, b => b != message[0]);
    }
}
