using MessagePack;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

public class SharedArrayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Open_SeesTheInitialValues_AndWritesBothWays()
    {
        using var created = SharedArray<int>.Create(null, [1, 2, 3]);
        using var opened = SharedArray<int>.Open(created.Name);
        Assert.Equal(3, opened.Length);
        Assert.Equal([1, 2, 3], opened.AsSpan().ToArray());
        opened[1] = 20;
        Assert.Equal(20, created[1]);
        created.Write(2, 30);
        Assert.Equal(30, opened.Read(2));
    }

    [Fact]
    public void Create_WithALength_IsZeroed_AndBoundsAreChecked()
    {
        using var array = SharedArray<double>.Create(null, 4);
        Assert.Equal(new double[4], array.AsSpan().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => array[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Increment(-1));
        using var empty = SharedArray<byte>.Create(null, 0);
        using var emptyAgain = SharedArray<byte>.Open(empty.Name);
        Assert.Equal(0, emptyAgain.Length);
    }

    [Fact]
    public void ElementAtomics_FromManyThreadsOnTwoMappings_AllCount()
    {
        const int Threads = 4;
        const int Rounds = 50_000;
        using var array = SharedArray<long>.Create(null, 3);
        using var other = SharedArray<long>.Open(array.Name);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            SharedArray<long> mine = t % 2 == 0 ? array : other;
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    mine.Increment(0);
                    mine.Add(1, 3);
                    // A CAS loop doubling nothing but counting: exercises CompareExchange under contention.
                    long seen;
                    do
                    {
                        seen = mine.Read(2);
                    }
                    while (mine.CompareExchange(2, seen + 1, seen) != seen);
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
            Assert.True(worker.Join(Patience));
        Assert.Equal(Threads * Rounds, array.Read(0));
        Assert.Equal(3L * Threads * Rounds, array.Read(1));
        Assert.Equal(Threads * Rounds, array.Read(2));
    }

    [Fact]
    public void Open_WithAnotherElementType_IsRefused()
    {
        using var array = SharedArray<int>.Create(null, 2);
        var error = Assert.Throws<InvalidDataException>(() => SharedArray<float>.Open(array.Name));
        Assert.Contains("System.Single", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SharedValue<int>.Open(array.Name));
    }

    [Fact]
    public void MessagePack_SendsTheName_AndOpensTheArray()
    {
        using var array = SharedArray<short>.Create(null, [4, 5]);
        byte[] bytes = MessagePackSerializer.Serialize(array);
        using SharedArray<short>? received = MessagePackSerializer.Deserialize<SharedArray<short>>(bytes);
        Assert.NotNull(received);
        Assert.Equal([4, 5], received.AsSpan().ToArray());
    }
}
