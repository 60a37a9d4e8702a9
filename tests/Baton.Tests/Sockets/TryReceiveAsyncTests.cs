using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class TryReceiveAsyncTests
{
    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task TryReceiveAsync_ReturnsTheMessage_OrNullAfterTheTimeout(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);

        var started = Environment.TickCount64;
        Assert.Null(await pull.TryReceiveAsync(TimeSpan.FromMilliseconds(50)));
        Assert.True(Environment.TickCount64 - started >= 40, "returned before the timeout");
        Assert.Null(await pull.TryReceiveAsync(TimeSpan.Zero));

        // A message that comes while we wait ends the wait.
        var waiting = pull.TryReceiveAsync(TestUtil.Timeout);
        await push.SendAsync(new Message("hello"));
        using var received = (await waiting).GetValueOrDefault();
        Assert.Equal("hello", received.ToString());
    }

    [Fact]
    public async Task TryReceiveAsync_QueuedMessage_CompletesSynchronously_WithoutAllocating()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://try-receive-alloc");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect("inproc://try-receive-alloc");
        for (var i = 0; i < 20; i++)
        {
            push.Send("x"u8);
        }

        using (var warm = await pull.ReceiveOrFail())
        {
        }

        // Warm up, then measure on this thread: queued messages complete synchronously.
        Drain(pull, 1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var taken = Drain(pull, 10);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(10, taken);
        Assert.Equal(0, allocated);

        static int Drain(PullSocket socket, int count)
        {
            var taken = 0;
            for (var i = 0; i < count; i++)
            {
                var pending = socket.TryReceiveAsync(TimeSpan.FromSeconds(1));
                if (pending.IsCompletedSuccessfully && pending.Result is { } message)
                {
                    message.Dispose();
                    taken++;
                }
            }

            return taken;
        }
    }

    [Fact]
    public async Task TryReceiveAsync_CancelledToken_Throws_AndTheNextWaitStillWorks()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);

        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(30)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pull.TryReceiveAsync(TimeSpan.FromSeconds(30), cancel.Token));
        }

        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pull.TryReceiveAsync(TimeSpan.FromSeconds(1), cancelled.Token));
        }

        await push.SendAsync(new Message("after"));
        using var message = (await pull.TryReceiveAsync(TestUtil.Timeout)).GetValueOrDefault();
        Assert.Equal("after", message.ToString());
    }

    [Fact]
    public async Task TryReceiveAsync_SocketClosedWhileWaiting_ThrowsObjectDisposed()
    {
        using var context = new Context();
        var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("tcp://127.0.0.1:0");
        var waiting = pull.TryReceiveAsync(TimeSpan.FromSeconds(30)).AsTask();
        await pull.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(TestUtil.Timeout));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await pull.TryReceiveAsync(TimeSpan.Zero));
    }

    [Fact]
    public async Task TryReceiveAsync_RefusesNegativeTimeouts_AndSocketsThatCannotReceive()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        Assert.Throws<ArgumentOutOfRangeException>(() => pull.TryReceiveAsync(TimeSpan.FromMilliseconds(-5)));
        Assert.Throws<NotSupportedException>(() => push.TryReceiveAsync(TimeSpan.Zero));
    }
}
