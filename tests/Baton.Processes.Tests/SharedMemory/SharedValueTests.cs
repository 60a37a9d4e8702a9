using MessagePack;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

public class SharedValueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private struct Pair
    {
        public int A;
        public int B;
    }

    private struct Wide
    {
        public long A;
        public long B;
    }

    [Fact]
    public void Open_SeesTheInitialValue_AndWritesBothWays()
    {
        using var created = SharedValue<long>.Create(null, 41);
        using var opened = SharedValue<long>.Open(created.Name);
        Assert.Equal(41, opened.Read());
        opened.Value++;
        Assert.Equal(42, created.Value);
        created.Write(7);
        Assert.Equal(7, opened.AsSpan()[0]);
    }

    [Fact]
    public void Atomics_HaveTheirUsualResults()
    {
        using var value = SharedValue<int>.Create(null, 5);
        Assert.Equal(8, value.Add(3));
        Assert.Equal(9, value.Increment());
        Assert.Equal(8, value.Decrement());
        Assert.Equal(8, value.Exchange(100));
        Assert.Equal(100, value.CompareExchange(1, 99)); // no store: the comparand differs
        Assert.Equal(100, value.CompareExchange(1, 100));
        Assert.Equal(1, value.Read());

        using var unsigned = SharedValue<uint>.Create();
        Assert.Equal(uint.MaxValue, unsigned.Decrement()); // wraps, like Interlocked
        using var real = SharedValue<double>.Create(null, 0.5);
        Assert.Equal(2.0, real.Add(1.5));
        Assert.Equal(3.0, real.Increment());
    }

    [Fact]
    public void Increments_FromManyThreadsOnTwoMappings_AllCount()
    {
        const int Threads = 4;
        const int Rounds = 50_000;
        using var ints = SharedValue<int>.Create();
        using var intsOther = SharedValue<int>.Open(ints.Name);
        using var longs = SharedValue<long>.Create();
        using var longsOther = SharedValue<long>.Open(longs.Name);
        using var ulongs = SharedValue<ulong>.Create();
        using var ulongsOther = SharedValue<ulong>.Open(ulongs.Name);
        using var doubles = SharedValue<double>.Create();
        using var doublesOther = SharedValue<double>.Open(doubles.Name);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            bool odd = t % 2 == 1;
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    (odd ? intsOther : ints).Increment();
                    (odd ? longsOther : longs).Add(2);
                    (odd ? ulongsOther : ulongs).Increment();
                    (odd ? doublesOther : doubles).Add(1.0);
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
            Assert.True(worker.Join(Patience));
        Assert.Equal(Threads * Rounds, ints.Read());
        Assert.Equal(2L * Threads * Rounds, longs.Read());
        Assert.Equal((ulong)(Threads * Rounds), ulongs.Read());
        Assert.Equal(Threads * Rounds, doubles.Read());
    }

    [Fact]
    public void Lock_KeepsMultiStepUpdatesWhole_AcrossMappings()
    {
        const int Threads = 4;
        const int Rounds = 2000;
        using var value = SharedValue<Wide>.Create();
        using var other = SharedValue<Wide>.Open(value.Name);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            SharedValue<Wide> mine = t % 2 == 0 ? value : other;
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    using (mine.Lock(Patience))
                    {
                        mine.Value.A++;
                        mine.Value.B = mine.Value.A;
                    }
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
            Assert.True(worker.Join(Patience));
        Assert.Equal(Threads * Rounds, value.Value.A);
        Assert.Equal(Threads * Rounds, value.Value.B);
    }

    [Fact]
    public void Atomics_OnTypesThatCannotHaveThem_SaySo()
    {
        using var pair = SharedValue<Pair>.Create(null, new Pair { A = 1, B = 2 });
        // 8 bytes: exchanged bitwise in one instruction.
        Pair old = pair.CompareExchange(new Pair { A = 3, B = 4 }, new Pair { A = 1, B = 2 });
        Assert.Equal(1, old.A);
        Assert.Equal(3, pair.Read().A);
        var add = Assert.Throws<NotSupportedException>(() => pair.Add(default));
        Assert.Contains("Lock()", add.Message, StringComparison.Ordinal);

        using var wide = SharedValue<Wide>.Create();
        Assert.Throws<NotSupportedException>(() => wide.Read());
        Assert.Throws<NotSupportedException>(() => wide.CompareExchange(default, default));
    }

    [Fact]
    public void Open_WithAnotherType_SaysWhichTypeItHolds()
    {
        using var value = SharedValue<int>.Create();
        var wrongType = Assert.Throws<InvalidDataException>(() => SharedValue<uint>.Open(value.Name));
        Assert.Contains("System.Int32", wrongType.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => SharedValue<long>.Open(value.Name));
        Assert.Throws<InvalidDataException>(() => SharedArray<int>.Open(value.Name));
    }

    [Fact]
    public void TheBlock_GoesWithTheLastOwner_AndItsLockCannotBeClosedAlone()
    {
        var value = SharedValue<int>.Create();
        string path = Baton.Processes.SharedMemory.PathOf(value.Name);
        var other = SharedValue<int>.Open(value.Name);
        value.GetLock().Dispose(); // belongs to the value: no effect
        value.Increment();
        value.Dispose();
        Assert.Throws<ObjectDisposedException>(() => value.Read());
        Assert.True(File.Exists(path));
        Assert.Equal(1, other.Read());
        other.Dispose();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void MessagePack_SendsTheName_AndOpensTheValue()
    {
        using var value = SharedValue<long>.Create(null, 12);
        byte[] bytes = MessagePackSerializer.Serialize(value);
        using SharedValue<long>? received = MessagePackSerializer.Deserialize<SharedValue<long>>(bytes);
        Assert.NotNull(received);
        Assert.Equal(12, received.Read());
    }
}
