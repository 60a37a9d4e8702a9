using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

/// <summary>Context.CloseAsync: a close whose linger ends when its token fires (a host's shutdown deadline).</summary>
public class ContextCloseTests
{
    public static TheoryData<SocketOptions> LongLingers => new()
    {
        // Waits for the absent peer for ever.
        new SocketOptions { Linger = Timeout.InfiniteTimeSpan },
        // Finite, and the stall rule would not give up for 20 s either.
        new SocketOptions { Linger = TimeSpan.FromSeconds(30), LingerStallTimeout = TimeSpan.FromSeconds(20) },
    };

    [Theory]
    [MemberData(nameof(LongLingers))]
    public async Task CloseAsync_WithMessagesQueuedForAnAbsentPeer_EndsWhenTheTokenFires(SocketOptions options)
    {
        var context = new Context();
        var push = new PushSocket(options, context);
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        await push.SendOrFail(new Message("nobody reads this"));

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await context.CloseAsync(deadline.Token).AsTask().WaitAsync(TestUtil.Timeout);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"close took {clock.Elapsed}");
        Assert.Throws<ObjectDisposedException>(() => push.Send("after close"u8));
    }

    [Fact]
    public async Task CloseAsync_AlsoCutsASocketThatIsAlreadyClosingByItself()
    {
        var context = new Context();
        var push = new PushSocket(new SocketOptions { Linger = Timeout.InfiniteTimeSpan }, context);
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        await push.SendOrFail(new Message("nobody reads this"));
        var disposing = push.DisposeAsync().AsTask();

        await context.CloseAsync(new CancellationToken(canceled: true)).AsTask().WaitAsync(TestUtil.Timeout);
        await disposing.WaitAsync(TestUtil.Timeout);
    }

    [Fact]
    public async Task CloseAsync_WithATokenThatDoesNotFire_StillDeliversTheBacklog()
    {
        await using var pull = new PullSocket();
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        var context = new Context();
        var push = new PushSocket(context: context);
        push.Connect(endpoint);
        for (var i = 0; i < 100; i++)
        {
            await push.SendOrFail(new Message(i.ToString()));
        }

        await context.CloseAsync(CancellationToken.None).AsTask().WaitAsync(TestUtil.Timeout);
        for (var i = 0; i < 100; i++)
        {
            using var message = await pull.ReceiveOrFail();
            Assert.Equal(i.ToString(), message[0].ToString());
        }
    }
}
