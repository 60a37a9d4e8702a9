using Baton.Processes.Internal;
using MessagePack;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

public class ProcessLockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Acquire_AndRelease_RecordTheOwner()
    {
        using var gate = ProcessLock.Create();
        Assert.Equal(0, gate.OwnerProcessId);
        using (ProcessLockScope scope = gate.Acquire())
        {
            Assert.False(scope.Abandoned);
            Assert.Equal(Environment.ProcessId, gate.OwnerProcessId);
        }
        Assert.Equal(0, gate.OwnerProcessId);
        gate.Acquire();
        gate.Release();
        Assert.Equal(0, gate.OwnerProcessId);
    }

    [Fact]
    public void TryAcquire_FailsWhileHeld_ThroughAnotherMapping()
    {
        using var first = ProcessLock.Create();
        using var second = ProcessLock.Open(first.Name);
        using (first.Acquire())
        {
            Assert.False(second.TryAcquire(out _));
            Assert.False(second.TryAcquire(TimeSpan.FromMilliseconds(20), out _));
            Assert.Throws<TimeoutException>(() => second.Acquire(TimeSpan.FromMilliseconds(20)));
        }
        Assert.True(second.TryAcquire(out ProcessLockScope scope));
        scope.Dispose();
    }

    [Fact]
    public void Release_OfAFreeLock_Throws()
    {
        using var gate = ProcessLock.Create();
        var error = Assert.Throws<SynchronizationLockException>(gate.Release);
        Assert.Contains("not held", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Release_ByAProcessThatDoesNotHoldIt_Throws()
    {
        using var gate = ProcessLock.Create();
        using var holder = ForeignOwner.Start(gate.Memory.FilePath, SharedLayout.LockOffset);
        Assert.Equal(holder.Pid, gate.OwnerProcessId);
        var error = Assert.Throws<SynchronizationLockException>(gate.Release);
        Assert.Contains(holder.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(holder.Pid, gate.OwnerProcessId);
    }

    [Fact]
    public void ScopeDisposedTwice_DoesNotReleaseALaterAcquisition()
    {
        using var gate = ProcessLock.Create();
        ProcessLockScope first = gate.Acquire();
        first.Dispose();
        using ProcessLockScope second = gate.Acquire();
        first.Dispose(); // stale: must not free the second acquisition
        Assert.Equal(Environment.ProcessId, gate.OwnerProcessId);
        Assert.False(gate.TryAcquire(out _));
    }

    [Fact]
    public void Contention_AcrossTwoMappings_KeepsUpdatesWhole()
    {
        const int Threads = 4;
        const int Rounds = 2000;
        using var counter = SharedArray<long>.Create(null, 2);
        using var first = ProcessLock.Create();
        using var second = ProcessLock.Open(first.Name);
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            ProcessLock gate = t % 2 == 0 ? first : second;
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    using (gate.Acquire(Patience))
                    {
                        // Two plain read-modify-writes that only the lock keeps consistent.
                        counter[0]++;
                        counter[1] = counter[0] * 2;
                    }
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
            Assert.True(worker.Join(Patience));
        Assert.Equal(Threads * Rounds, counter[0]);
        Assert.Equal(Threads * Rounds * 2, counter[1]);
        Assert.Equal(0, first.OwnerProcessId);
    }

    [Fact]
    public void AHolderKilledWithSigkill_IsTakenOver_AndReportedAbandoned()
    {
        using var gate = ProcessLock.Create();
        using var holder = ForeignOwner.Start(gate.Memory.FilePath, SharedLayout.LockOffset);
        Assert.Equal(holder.Pid, gate.OwnerProcessId);
        using var waiting = new ManualResetEventSlim();
        ProcessLockScope taken = default;
        Exception? failure = null;
        var waiter = new Thread(() =>
        {
            try
            {
                waiting.Set();
                taken = gate.Acquire(Patience);
            }
            catch (Exception error)
            {
                failure = error;
            }
        });
        waiter.Start();
        Assert.True(waiting.Wait(Patience));
        holder.KillHard();
        Assert.True(waiter.Join(Patience));
        Assert.Null(failure);
        Assert.True(taken.Abandoned);
        Assert.Equal(Environment.ProcessId, gate.OwnerProcessId);
        taken.Dispose();
        Assert.Equal(0, gate.OwnerProcessId);
        using ProcessLockScope again = gate.Acquire(Patience);
        Assert.False(again.Abandoned);
    }

    [Fact]
    public async Task AcquireAsync_CompletesWhenTheHolderReleases()
    {
        using var first = ProcessLock.Create();
        using var second = ProcessLock.Open(first.Name);
        ProcessLockScope held = first.Acquire();
        ValueTask<ProcessLockScope> pending = second.AcquireAsync(CancellationToken.None);
        Assert.False(pending.IsCompleted);
        held.Dispose();
        using ProcessLockScope scope = await pending.AsTask().WaitAsync(Patience, CancellationToken.None);
        Assert.False(scope.Abandoned);
        Assert.Equal(Environment.ProcessId, second.OwnerProcessId);
    }

    [Fact]
    public async Task AcquireAsync_IsCancelled_AndTimesOut()
    {
        using var gate = ProcessLock.Create();
        using var other = ProcessLock.Open(gate.Name);
        using (gate.Acquire())
        {
            using var cancel = new CancellationTokenSource();
            ValueTask<ProcessLockScope> pending = other.AcquireAsync(cancel.Token);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask().WaitAsync(Patience, CancellationToken.None));
            await Assert.ThrowsAsync<TimeoutException>(() => other.AcquireAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None).AsTask());
        }
    }

    [Fact]
    public void Dispose_WhileAnotherThreadWaits_FailsTheWait_AndRemovesTheBlock()
    {
        var holder = ProcessLock.Create();
        var waiterLock = ProcessLock.Open(holder.Name);
        string path = holder.Memory.FilePath;
        try
        {
            holder.Acquire();
            Exception? failure = null;
            using var waiting = new ManualResetEventSlim();
            var waiter = new Thread(() =>
            {
                try
                {
                    waiting.Set();
                    waiterLock.Acquire(Patience);
                }
                catch (Exception error)
                {
                    failure = error;
                }
            });
            waiter.Start();
            Assert.True(waiting.Wait(Patience));
            // Dispose may come before or after the waiter falls asleep: either way it must not wait 30 s.
            waiterLock.Dispose();
            Assert.True(waiter.Join(Patience));
            Assert.IsType<ObjectDisposedException>(failure);
        }
        finally
        {
            waiterLock.Dispose();
            holder.Dispose(); // releases the acquisition it still holds, then closes
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Dispose_ReleasesThisInstancesAcquisition()
    {
        using var other = ProcessLock.Create();
        var gate = ProcessLock.Open(other.Name);
        gate.Acquire();
        gate.Dispose();
        Assert.Equal(0, other.OwnerProcessId);
        Assert.Throws<ObjectDisposedException>(() => gate.Acquire());
    }

    [Fact]
    public void Open_OfSomethingElse_SaysWhatItIs()
    {
        using var value = SharedValue<int>.Create();
        var error = Assert.Throws<InvalidDataException>(() => ProcessLock.Open(value.Name));
        Assert.Contains("SharedValue", error.Message, StringComparison.Ordinal);
        using var raw = Baton.Processes.SharedMemory.Create(null, 256);
        Assert.Throws<InvalidDataException>(() => ProcessLock.Open(raw.Name));
    }

    [Fact]
    public void MessagePack_SendsTheName_AndOpensTheLock()
    {
        using var gate = ProcessLock.Create();
        byte[] bytes = MessagePackSerializer.Serialize(gate);
        using ProcessLock? received = MessagePackSerializer.Deserialize<ProcessLock>(bytes);
        Assert.NotNull(received);
        using (gate.Acquire())
            Assert.False(received.TryAcquire(out _));
    }
}
