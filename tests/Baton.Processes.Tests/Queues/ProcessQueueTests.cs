using System.Buffers;
using Baton.Processes.Internal.Queues;
using MessagePack;
using Xunit;

namespace Baton.Processes.Tests.Queues;

/// <summary>The typed and raw queues in one process, through separate handles as other processes would hold them.</summary>
public class ProcessQueueTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    public sealed record Order(int Id, string Item, double Price);

    [Fact]
    public void PutGet_ThroughTwoHandles_Fifo()
    {
        using var queue = new ProcessQueue<string>();
        using var other = ProcessQueue<string>.Open(queue.Name);
        for (var i = 0; i < 1000; i++)
            queue.Put("MESSAGE " + i);
        Assert.Equal(1000, other.Count);
        for (var i = 0; i < 1000; i++)
            Assert.Equal("MESSAGE " + i, other.Get(Generous));
        Assert.True(other.IsEmpty);
    }

    [Fact]
    public void Records_WithoutAttributes_RoundTrip()
    {
        using var queue = new ProcessQueue<Order>();
        queue.Put(new Order(7, "tea", 2.5));
        Assert.Equal(new Order(7, "tea", 2.5), queue.Get(Generous));
    }

    [Fact]
    public void Get_Timeout_ThrowsQueueEmpty_AndTryGetIsFalse()
    {
        using var queue = new ProcessQueue<int>();
        Assert.Throws<QueueEmptyException>(() => queue.Get(TimeSpan.FromMilliseconds(20)));
        Assert.False(queue.TryGet(out _));
    }

    [Fact]
    public void Bounded_PutTimesOut_ThenGetMakesRoom()
    {
        using var queue = new ProcessQueue<int>(maxSize: 2);
        queue.Put(1);
        queue.Put(2);
        Assert.False(queue.TryPut(3));
        Assert.Throws<QueueFullException>(() => queue.Put(3, TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, queue.Get());
        queue.Put(3, Generous);
        Assert.Equal([2, 3], queue.GetMany(10));
    }

    [Fact]
    public async Task BlockedPut_ResumesWhenAConsumerTakes()
    {
        using var queue = new ProcessQueue<int>(maxSize: 1);
        queue.Put(1);
        var putter = Parked(queue.Core.Ring, producer: true, () => queue.Put(2, Generous));
        Assert.Equal(1, queue.Get(Generous));
        await putter.WaitAsync(Generous);
        Assert.Equal(2, queue.Get(Generous));
    }

    [Fact]
    public void Close_DrainsThenSignalsEnd()
    {
        using var queue = new ProcessQueue<int>();
        using var other = ProcessQueue<int>.Open(queue.Name);
        queue.Put(1);
        queue.Close();
        Assert.True(other.IsClosed);
        Assert.Throws<QueueClosedException>(() => other.Put(2));
        Assert.Equal(1, other.Get(Generous));
        Assert.Throws<QueueClosedException>(() => other.Get(Generous));
    }

    [Fact]
    public async Task Close_WakesABlockedGetter()
    {
        using var queue = new ProcessQueue<int>();
        var getter = Parked(queue.Core.Ring, producer: false, () => queue.Get(Generous));
        queue.Close();
        await Assert.ThrowsAsync<QueueClosedException>(() => getter.WaitAsync(Generous));
    }

    [Fact]
    public void GetMany_TakesWhatIsThere()
    {
        using var queue = new ProcessQueue<int>();
        for (var i = 0; i < 5; i++)
            queue.Put(i);
        var items = new List<int>();
        Assert.Equal(3, queue.GetMany(items, 3, Generous));
        Assert.Equal(2, queue.GetMany(items, 10, Generous));
        Assert.Equal([0, 1, 2, 3, 4], items);
    }

    [Fact]
    public void BigMessage_UpToHalfTheCapacity_ElseAClearError()
    {
        using var queue = new ByteQueue(capacity: 64 * 1024);
        var big = new byte[queue.MaxMessageSize];
        Random.Shared.NextBytes(big);
        queue.Put(big);
        Assert.Equal(big, queue.Get(Generous));
        var error = Assert.Throws<ArgumentException>(() => queue.Put(new byte[queue.MaxMessageSize + 1]));
        Assert.Contains("capacity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByteQueue_RawBytesStayRaw_IntoABufferWriter()
    {
        using var queue = new ByteQueue();
        queue.Put("MESSAGE"u8);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(7, queue.Get(writer, Generous));
        Assert.Equal("MESSAGE"u8.ToArray(), writer.WrittenSpan.ToArray());
        Assert.True(queue.TryPut([1, 2]));
        Assert.True(queue.TryGet(out var bytes));
        Assert.Equal([1, 2], bytes);
    }

    [Fact]
    public async Task Async_GetWaitsForPut_AndCancellationEndsAWait()
    {
        using var queue = new ProcessQueue<string>();
        var pending = queue.GetAsync();
        await queue.PutAsync("hi");
        Assert.Equal("hi", await pending.AsTask().WaitAsync(Generous));
        using var cancel = new CancellationTokenSource();
        var waiting = queue.GetAsync(cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Generous));
    }

    [Fact]
    public async Task Dispose_WhileAnotherThreadWaits_EndsTheWaitWithoutCrashing()
    {
        var queue = new ProcessQueue<int>();
        var getter = Parked(queue.Core.Ring, producer: false, () => queue.Get(Generous));
        queue.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => getter.WaitAsync(Generous));
        Assert.Throws<ObjectDisposedException>(() => queue.Put(1));
    }

    [Fact]
    public void Handles_TravelByName_InMessagePack()
    {
        using var queue = new ProcessQueue<string>();
        var options = MessagePackQueueSerializer<object>.Options;
        var bytes = MessagePackSerializer.Serialize(queue, options);
        using var copy = MessagePackSerializer.Deserialize<ProcessQueue<string>>(bytes, options);
        copy.Put("via copy");
        Assert.Equal("via copy", queue.Get(Generous));
        using var joinable = new JoinableProcessQueue<int>();
        using var joinableCopy = MessagePackSerializer.Deserialize<JoinableProcessQueue<int>>(MessagePackSerializer.Serialize(joinable, options), options);
        Assert.Equal(joinable.Name, joinableCopy.Name);
        using var raw = new ByteQueue();
        using var rawCopy = MessagePackSerializer.Deserialize<ByteQueue>(MessagePackSerializer.Serialize(raw, options), options);
        Assert.Equal(raw.Name, rawCopy.Name);
    }

    [Fact]
    public void SharedMemory_IsRemovedWithTheLastHandle()
    {
        string name;
        using (var queue = new ProcessQueue<int>())
        {
            name = queue.Name;
            Assert.True(File.Exists("/dev/shm/baton." + name));
        }

        Assert.False(File.Exists("/dev/shm/baton." + name));
        Assert.Throws<FileNotFoundException>(() => ProcessQueue<int>.Open(name));
    }

    /// <summary>
    /// Runs <paramref name="wait"/> on another thread and returns once it has announced its sleep on the ring, so the
    /// test acts on a call that really waits (a yield or a sleep would let it act before the call even looked).
    /// </summary>
    private static Task Parked(ByteRing ring, bool producer, Action wait)
    {
        // Moving the wake-up word on first makes the announcement visible: both words start at zero.
        if (producer)
            ring.WakeProducers();
        else
            ring.WakeConsumers(int.MaxValue);
        var sequence = producer ? ring.ProducerSequence : ring.ConsumerSequence;
        var task = Task.Run(wait);
        Assert.True(
            SpinWait.SpinUntil(() => task.IsCompleted || (producer ? ring.ProducerSleepSequence : ring.ConsumerSleepSequence) == sequence, Generous),
            "the call never went to sleep");
        Assert.False(task.IsCompleted, "the call ended without waiting");
        return task;
    }
}
