using Baton.Processes.Internal;
using MessagePack;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

public class ProcessRLockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void TheHoldingThread_AcquiresAgain_AndReleasesEachTime()
    {
        using var gate = ProcessRLock.Create();
        using (ProcessLockScope outer = gate.Acquire())
        {
            using (ProcessLockScope inner = gate.Acquire(TimeSpan.Zero))
            {
                Assert.Equal(2, gate.RecursionCount);
                Assert.True(gate.TryAcquire(out ProcessLockScope third));
                Assert.Equal(3, gate.RecursionCount);
                third.Dispose();
                third.Dispose(); // a second dispose of one scope does not release another level
                Assert.Equal(2, gate.RecursionCount);
            }
            Assert.Equal(1, gate.RecursionCount);
            Assert.Equal(Environment.ProcessId, gate.OwnerProcessId);
        }
        Assert.Equal(0, gate.OwnerProcessId);
        Assert.False(gate.IsHeldByCurrentThread);
    }

    [Fact]
    public void OtherThreads_WaitAndCannotRelease()
    {
        using var gate = ProcessRLock.Create();
        using var other = ProcessRLock.Open(gate.Name);
        using ProcessLockScope held = gate.Acquire();
        Exception? releaseError = null;
        bool tookIt = true;
        var thread = new Thread(() =>
        {
            tookIt = other.TryAcquire(TimeSpan.FromMilliseconds(20), out _);
            releaseError = Record.Exception(other.Release);
        });
        thread.Start();
        Assert.True(thread.Join(Patience));
        Assert.False(tookIt);
        Assert.IsType<SynchronizationLockException>(releaseError);
        Assert.True(gate.IsHeldByCurrentThread);
    }

    [Fact]
    public void Contention_BetweenThreadsOnTwoMappings_KeepsUpdatesWhole()
    {
        const int Threads = 4;
        const int Rounds = 1000;
        using var counter = SharedArray<long>.Create(null, 1);
        using var first = ProcessRLock.Create();
        using var second = ProcessRLock.Open(first.Name);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            ProcessRLock gate = t % 2 == 0 ? first : second;
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    using (gate.Acquire(Patience))
                    using (gate.Acquire(Patience))
                        counter[0]++;
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
            Assert.True(worker.Join(Patience));
        Assert.Equal(Threads * Rounds, counter[0]);
        Assert.Equal(0, first.OwnerProcessId);
    }

    [Fact]
    public void AHolderKilledWithSigkill_IsTakenOver_AndReportedAbandoned()
    {
        using var gate = ProcessRLock.Create();
        using var holder = ForeignOwner.Start(Baton.Processes.SharedMemory.PathOf(gate.Name), SharedLayout.LockOffset);
        Assert.Equal(holder.Pid, gate.OwnerProcessId);
        Assert.False(gate.TryAcquire(out _));
        holder.KillHard();
        using ProcessLockScope scope = gate.Acquire(Patience);
        Assert.True(scope.Abandoned);
        Assert.Equal(1, gate.RecursionCount);
    }

    [Fact]
    public void Open_OfAPlainLock_IsRefused_AndMessagePackOpensByName()
    {
        using var plain = ProcessLock.Create();
        var error = Assert.Throws<InvalidDataException>(() => ProcessRLock.Open(plain.Name));
        Assert.Contains("ProcessLock", error.Message, StringComparison.Ordinal);

        using var gate = ProcessRLock.Create();
        byte[] bytes = MessagePackSerializer.Serialize(gate);
        using ProcessRLock? received = MessagePackSerializer.Deserialize<ProcessRLock>(bytes);
        Assert.NotNull(received);
        Assert.Equal(gate.Name, received.Name);
    }
}
