using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

/// <summary>Closing: a backlog that flows is delivered, a peer that is absent or takes nothing does not hold the close.</summary>
public class LingerTests
{
    [Fact]
    public void Defaults_AreThirtySecondsOfLinger_AndTwoSecondsWithoutProgress()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), SocketOptions.Default.Linger);
        Assert.Equal(TimeSpan.FromSeconds(2), SocketOptions.Default.LingerStallTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { LingerStallTimeout = TimeSpan.Zero });
    }

    [Fact]
    public async Task Dispose_OfAPushWithMessagesQueuedForAnAbsentPeer_EndsAfterTheStallTimeout_NotTheLinger()
    {
        using var context = new Context();
        var push = new PushSocket(context: context);
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        for (var i = 0; i < 10; i++)
        {
            await push.SendOrFail(new Message($"nobody reads {i}"));
        }

        var clock = Stopwatch.StartNew();
        await push.DisposeAsync().AsTask().WaitAsync(TestUtil.Timeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), $"close took {clock.Elapsed}");
    }

    [Fact]
    public async Task Dispose_OfAPushWithAMillionQueuedMessages_DeliversEveryOneToALivePull_WithTheDefaults()
    {
        const int Count = 1_000_000;
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        var receiving = Task.Run(async () =>
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            for (var received = 0; received < Count; received++)
            {
                using var message = await pull.ReceiveAsync(cancel.Token);
                Assert.Equal(received, BitConverter.ToInt32(message[0].Span));
            }
        });

        // No send HWM: every message is queued at once, so the close has the whole backlog to deliver.
        var push = new PushSocket(new SocketOptions { SendHighWatermark = 0 }, context);
        push.Connect(endpoint);
        for (var i = 0; i < Count; i++)
        {
            await push.SendAsync(new Message(new Frame(BitConverter.GetBytes(i))));
        }

        await push.DisposeAsync();
        await receiving;
    }

    [Fact]
    public async Task Dispose_KeepsWaitingPastTheStallTimeout_WhileASlowPeerTakesTheBacklog()
    {
        const int Count = 200;
        using var context = new Context();
        await using var pull = new PullSocket(new SocketOptions { ReceiveHighWatermark = 1 }, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        var receiving = Task.Run(async () =>
        {
            for (var received = 0; received < Count; received++)
            {
                using var message = await pull.ReceiveOrFail();
                Assert.Equal(received, BitConverter.ToInt32(message[0].Span));

                // A slow consumer (pacing, not synchronisation): the backlog outlasts the stall timeout.
                await Task.Delay(10);
            }
        });

        // Large frames, written from their own buffers: 50 MB, far more than the kernels' buffers hold.
        var push = new PushSocket(new SocketOptions { SendHighWatermark = 0, LingerStallTimeout = TimeSpan.FromSeconds(1) }, context);
        push.Connect(endpoint);
        var payload = new byte[256 * 1024];
        for (var i = 0; i < Count; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            await push.SendAsync(new Message(new Frame(payload.AsSpan().ToArray())));
        }

        await push.DisposeAsync();
        await receiving.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Dispose_GivesUpAfterTheStallTimeout_WhenAConnectedPeerTakesNothing()
    {
        using var context = new Context();
        await using var pull = new PullSocket(new SocketOptions { ReceiveHighWatermark = 1 }, context);
        var push = new PushSocket(new SocketOptions { LingerStallTimeout = TimeSpan.FromMilliseconds(300) }, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        var payload = new byte[64 * 1024];

        // Fill the pipe, both kernels' buffers and the HWM: the application never receives.
        while (push.TrySend(new Message(new Frame(payload)), TimeSpan.FromMilliseconds(200)))
        {
        }

        var clock = Stopwatch.StartNew();
        await push.DisposeAsync().AsTask().WaitAsync(TestUtil.Timeout);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"close took {clock.Elapsed}");
    }

    [Fact]
    public async Task Dispose_WithInfiniteLinger_WaitsForAPeerThatComesLate()
    {
        using var context = new Context();
        var port = TestUtil.FreeTcpPort();
        var push = new PushSocket(new SocketOptions { Linger = Timeout.InfiniteTimeSpan, LingerStallTimeout = TimeSpan.FromMilliseconds(100), ReconnectInterval = TimeSpan.FromMilliseconds(20) }, context);
        push.Connect($"tcp://127.0.0.1:{port}");
        await push.SendOrFail(new Message("late"));
        var closing = push.DisposeAsync().AsTask();

        // Several stall timeouts pass without a peer: an infinite linger must not give up.
        Assert.NotSame(closing, await Task.WhenAny(closing, Task.Delay(TimeSpan.FromMilliseconds(500))));

        await using var pull = new PullSocket(context: context);
        pull.Bind($"tcp://127.0.0.1:{port}");
        using var message = await pull.ReceiveOrFail();
        Assert.Equal("late", message[0].ToString());
        await closing.WaitAsync(TestUtil.Timeout);
    }
}
