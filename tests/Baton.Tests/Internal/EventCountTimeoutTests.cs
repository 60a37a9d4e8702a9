using Baton.Internal;
using Xunit;

namespace Baton.Tests.Internal;

public class EventCountTimeoutTests
{
    [Fact]
    public async Task TimedWait_TimesOut_AndLeavesNoWaiterBehind()
    {
        var events = new EventCount();
        for (var i = 0; i < 50; i++)
        {
            Assert.False(await events.TryWaitAsync(events.Epoch, TimeSpan.FromMilliseconds(1), CancellationToken.None));
            Assert.Equal(0, events.WaitingCount);
        }
    }

    [Fact]
    public async Task TimedWait_WokenByNotify_ReturnsTrue_AndAnEarlierTimerDoesNotEndTheNextWait()
    {
        var events = new EventCount();
        for (var i = 0; i < 20; i++)
        {
            // Woken long before its 30 ms timer: the timer is stopped, or fires late and must do nothing.
            var epoch = events.Epoch;
            var wait = events.TryWaitAsync(epoch, TimeSpan.FromMilliseconds(30), CancellationToken.None);
            events.Notify();
            Assert.True(await wait);
        }

        // The same pooled waiter again, with a long timeout: nothing but a Notify may end it.
        var last = events.TryWaitAsync(events.Epoch, TimeSpan.FromSeconds(30), CancellationToken.None).AsTask();
        var first = await Task.WhenAny(last, Task.Delay(200));
        Assert.NotSame(last, first);
        events.Notify();
        Assert.True(await last.WaitAsync(TestUtil.Timeout));
        Assert.Equal(0, events.WaitingCount);
    }

    [Fact]
    public async Task TimedWait_Cancelled_Throws_AndLeavesNoWaiterBehind()
    {
        var events = new EventCount();
        using var cancel = new CancellationTokenSource();
        var wait = events.TryWaitAsync(events.Epoch, TimeSpan.FromSeconds(30), cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.Equal(0, events.WaitingCount);
    }
}
