using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

/// <summary>
/// Send(ReadOnlySpan&lt;byte&gt;), the allocation-free send: PUSH and DEALER encode the bytes straight
/// into the connection's write buffer, other types go through a pooled message; either way the bytes
/// arrive intact and the HWM holds.
/// </summary>
public class SpanSendTests
{
    [Theory]
    [InlineData("tcp", 0)]
    [InlineData("tcp", 300)]
    [InlineData("tcp", 20_000)]
    [InlineData("ipc", 8)]
    [InlineData("inproc", 8)]
    public async Task SpanSend_DeliversTheBytes_InOrder(string transport, int size)
    {
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        await using var push = new PushSocket(context: context);
        push.Connect(pull.Bind(TestUtil.Endpoint(transport)));
        for (var i = 0; i < 50; i++)
        {
            var payload = new byte[size];
            if (size > 0)
            {
                payload[0] = (byte)i;
                payload[^1] = (byte)(i + 1);
            }

            push.Send(payload);
        }

        for (var i = 0; i < 50; i++)
        {
            using var message = await pull.ReceiveOrFail();
            var frame = Assert.Single(message);
            Assert.Equal(size, frame.Length);
            if (size > 0)
            {
                Assert.Equal((byte)i, frame.Span[0]);
                Assert.Equal((byte)(i + 1), frame.Span[^1]);
            }
        }
    }

    [Fact]
    public async Task SpanSend_RoundRobins_OverPeers_AndKeepsMessagesOfOtherKindsInOrder()
    {
        await using var a = new PullSocket();
        await using var b = new PullSocket();
        await using var push = new PushSocket();
        push.Connect(a.Bind("tcp://127.0.0.1:*"));
        push.Connect(b.Bind("tcp://127.0.0.1:*"));
        // Both peers must be there, or round-robin would skip the missing one.
        var deadline = DateTime.UtcNow + TestUtil.Timeout;
        while (push.ConnectedPeerCount < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the second peer never connected");
            await Task.Delay(10);
        }

        // Span sends and message sends share one queue per peer, so their order holds.
        for (var i = 0; i < 10; i++)
        {
            if (i % 2 == 0)
            {
                push.Send([(byte)i]);
            }
            else
            {
                push.Send(new Message(new Frame([(byte)i])));
            }
        }

        var seen = new List<int>();
        foreach (var pull in (PullSocket[])[a, b])
        {
            for (var i = 0; i < 5; i++)
            {
                using var message = await pull.ReceiveOrFail();
                seen.Add(message[0].Span[0]);
            }
        }

        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
        Assert.Equal(seen.Take(5).Order(), seen.Take(5));
    }

    [Fact]
    public async Task SpanTrySend_ReturnsFalse_AtTheHighWatermark()
    {
        await using var push = new PushSocket(new SocketOptions { SendHighWatermark = 3, Linger = TimeSpan.Zero });
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        var sent = 0;
        while (push.TrySend(new byte[8], TimeSpan.Zero))
        {
            sent++;
        }

        Assert.Equal(3, sent);
        Assert.False(push.TrySend(new byte[8], TimeSpan.FromMilliseconds(30)));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task EchoUnderLoad_KeepsOrderAndBytes_WithInlineAndLoopWritesInterleaved(string transport)
    {
        // Every receive lets the next send go out inline on the caller's thread, while a backlog goes
        // through the write loop: both writers take turns on one connection, and nothing may reorder
        // or go missing.
        const int count = 3_000;
        await using var router = new RouterSocket();
        await using var dealer = new DealerSocket();
        dealer.Connect(router.Bind(TestUtil.Endpoint(transport)));
        var echo = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                router.Send(router.Receive());
            }
        });

        var received = 0;
        var payload = new byte[4096];
        for (var sent = 0; sent < count; sent++)
        {
            BitConverter.TryWriteBytes(payload, sent);
            payload[^1] = (byte)sent;
            dealer.Send(payload);
            while (dealer.TryReceive(out var reply, TimeSpan.Zero))
            {
                Check(reply, received++);
            }

            // At most 500 in flight: a ROUTER drops replies to a peer at its HWM, as libzmq does.
            while (sent - received >= 500)
            {
                Check(await dealer.ReceiveOrFail(), received++);
            }
        }

        while (received < count)
        {
            Check(await dealer.ReceiveOrFail(), received++);
        }

        await echo.WaitAsync(TestUtil.Timeout);

        static void Check(Message reply, int expected)
        {
            using (reply)
            {
                var frame = Assert.Single(reply);
                Assert.Equal(4096, frame.Length);
                Assert.Equal(expected, BitConverter.ToInt32(frame.Span));
                Assert.Equal((byte)expected, frame.Span[^1]);
            }
        }
    }

    [Fact]
    public async Task CancelledToken_WinsOverAQueuedMessage_AndTheMessageStays()
    {
        await using var pull = new PullSocket();
        await using var push = new PushSocket();
        push.Connect(pull.Bind("inproc://cancelled-token"));
        push.Send([1]);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pull.ReceiveAsync(cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.SendAsync(new byte[] { 2 }.AsMemory(), cancelled.Token));
        using var message = await pull.ReceiveOrFail();
        Assert.Equal(1, message[0].Span[0]);
    }
}
