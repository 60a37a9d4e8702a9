using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

// The folder's namespace shares the type's name: the alias makes SharedMemory mean the type here.
using SharedMemory = Baton.Processes.SharedMemory;

/// <summary>Shared memory between this process and real child processes (Baton's ChildProcess).</summary>
public class CrossProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private const int Rounds = 20_000;

    [Fact]
    public async Task ABlockPassedToAChild_IsOpenedThere_AndItsWritesComeBack()
    {
        using var block = SharedMemory.Create(null, 4096);
        await using var child = ChildProcess.Start(Fill, block, (byte)7);
        Assert.Equal(4096, await child.Result.WaitAsync(Patience));
        Assert.True(await child.JoinAsync(Patience));
        Assert.Equal(7, block.Span[0]);
        Assert.Equal(7, block.Span[4095]);
        Assert.True(block.IsNamed()); // the child's exit released its hold, not ours
    }

    [Fact]
    public async Task Increments_FromParentAndChild_AllCount()
    {
        using var counter = SharedValue<long>.Create();
        using var plain = SharedArray<long>.Create(null, 1);
        await using var child = ChildProcess.Start(Count, counter, plain);
        for (int i = 0; i < Rounds; i++)
        {
            counter.Increment();
            using (plain.Lock(Patience))
                plain[0]++; // a plain read-modify-write: only the lock makes it whole
        }
        Assert.Equal(Rounds, await child.Result.WaitAsync(Patience));
        Assert.Equal(2L * Rounds, counter.Read());
        Assert.Equal(2L * Rounds, plain[0]);
    }

    [Fact]
    public async Task ALockWhoseChildHolderIsKilled_IsTakenOverAndReportedAbandoned()
    {
        using var gate = ProcessLock.Create();
        using var held = SharedValue<int>.Create();
        await using var child = ChildProcess.Start(HoldForever, gate, held);
        Assert.True(WaitUntilSet(held), "the child did not take the lock");
        Assert.Equal(child.Pid, gate.OwnerProcessId);
        Assert.False(gate.TryAcquire(out _));
        child.Kill();
        using ProcessLockScope scope = gate.Acquire(Patience);
        Assert.True(scope.Abandoned);
        Assert.Equal(Environment.ProcessId, gate.OwnerProcessId);
    }

    /// <summary>Sets the flag and wakes the process waiting on it (a futex on the shared word).</summary>
    private static unsafe void Set(SharedValue<int> flag)
    {
        flag.Write(1);
        fixed (int* word = &flag.Value)
            Futex.Wake(word, int.MaxValue);
    }

    /// <summary>Sleeps until another process sets the flag; false after the test's patience runs out.</summary>
    private static unsafe bool WaitUntilSet(SharedValue<int> flag)
    {
        fixed (int* word = &flag.Value)
        {
            while (Volatile.Read(ref *word) == 0)
            {
                if (!Futex.Wait(word, 0, Patience))
                    return false;
            }
            return true;
        }
    }

    private static int Fill(SharedMemory block, byte value)
    {
        using (block)
        {
            block.Span.Fill(value);
            return (int)block.Size;
        }
    }

    private static int Count(SharedValue<long> counter, SharedArray<long> plain)
    {
        using (counter)
        using (plain)
        {
            for (int i = 0; i < Rounds; i++)
            {
                counter.Increment();
                using (plain.Lock(TimeSpan.FromSeconds(30)))
                    plain[0]++;
            }
            return Rounds;
        }
    }

    private static int HoldForever(ProcessLock gate, SharedValue<int> held)
    {
        gate.Acquire(TimeSpan.FromSeconds(30));
        Set(held);
        Thread.Sleep(Timeout.Infinite); // until the parent kills us
        return 0;
    }
}
