using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

// The folder's namespace shares the type's name: the alias makes SharedMemory mean the type here.
using SharedMemory = Baton.Processes.SharedMemory;

public class FutexTests
{
    [Fact]
    public async Task Wake_ThroughOneMapping_WakesAWaiterOnTheOther()
    {
        using var a = SharedMemory.Create(null, 64);
        using var b = SharedMemory.Open(a.Name);
        nint wordA = Address(a, 8);
        nint wordB = Address(b, 8);
        Assert.NotEqual(wordA, wordB); // two distinct mappings of one file

        using var waiting = new ManualResetEventSlim();
        var waiter = Task.Factory.StartNew(() =>
        {
            waiting.Set();
            // Wait until the word changes from 0; re-check after every wake (spurious wakes are allowed).
            while (Read(wordB) == 0)
            {
                if (!Wait(wordB, 0, TimeSpan.FromSeconds(30)))
                    return false;
            }
            return true;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)));
        Write(wordA, 1);
        Wake(wordA);
        Assert.True(await waiter.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Wait_TimesOut_WhenNobodyWakes()
    {
        using var a = SharedMemory.Create(null, 64);
        nint word = Address(a, 0);
        Assert.False(Wait(word, 0, TimeSpan.FromMilliseconds(20)));
        Assert.False(Wait(word, 0, TimeSpan.Zero));
    }

    [Fact]
    public void Wait_ReturnsAtOnce_WhenTheWordAlreadyDiffers()
    {
        using var a = SharedMemory.Create(null, 64);
        nint word = Address(a, 0);
        Write(word, 5);
        Assert.True(Wait(word, 4, TimeSpan.FromSeconds(30)));
        Assert.True(Wait(word, 4, TimeSpan.Zero));
        Wake(word); // nobody waiting: harmless
    }

    private static unsafe nint Address(SharedMemory block, int offset) => (nint)(block.Pointer + offset);

    private static unsafe int Read(nint word) => Volatile.Read(ref *(int*)word);

    private static unsafe void Write(nint word, int value) => Interlocked.Exchange(ref *(int*)word, value);

    private static unsafe bool Wait(nint word, int expected, TimeSpan timeout) => Futex.Wait((int*)word, expected, timeout);

    private static unsafe void Wake(nint word) => Futex.Wake((int*)word, int.MaxValue);
}
