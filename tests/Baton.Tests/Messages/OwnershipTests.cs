using System.Buffers;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Messages;

/// <summary>
/// The ownership rules of <see cref="Message"/>: a frame taken out stays valid whatever happens to its
/// message, a sent or disposed message cannot be used again, and no socket accepts a message with no
/// frames; on every transport.
/// </summary>
public class OwnershipTests
{
    public static TheoryData<string> Transports => new() { "inproc", "ipc", "tcp" };

    /// <summary>A deterministic payload for one message: its bytes depend on the seed and the length.</summary>
    private static byte[] Payload(int seed, int length)
    {
        var data = new byte[length];
        var x = (uint)(seed * 2654435761u) | 1;
        for (var i = 0; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            data[i] = (byte)x;
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EchoIdiom_ReplyBuiltFromRequestFrames_ArrivesIntact(string transport)
    {
        // The zguide's echo: a reply made of the request's frames, the request disposed before the send.
        using var context = new Context();
        await using var router = new RouterSocket(TestUtil.Quick, context);
        await using var dealer = new DealerSocket(TestUtil.Quick, context);
        dealer.Connect(router.Bind(TestUtil.Endpoint(transport)));
        int[] sizes = [0, 1, 200, 4_000, 5_000, 9_000, 10_000, 10_240, 70_000];
        for (var round = 0; round < 40; round++)
        {
            foreach (var size in sizes)
            {
                var seed = round * 100 + size;
                await dealer.SendOrFail(new Message(new Frame(Payload(seed, size)), new Frame(Payload(seed + 1, 16))));
                var request = await router.ReceiveOrFail();
                var reply = new Message(request[0], request[1], request[2]);
                request.Dispose();
                await router.SendOrFail(reply);

                using var echoed = await dealer.ReceiveOrFail();
                Assert.Equal(2, echoed.Count);
                Assert.True(echoed[0].Span.SequenceEqual(Payload(seed, size)), $"frame 0 of {size} bytes corrupted in round {round}");
                Assert.True(echoed[1].Span.SequenceEqual(Payload(seed + 1, 16)));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task FrameTakenOut_StaysValid_AfterItsMessageIsDisposed_AndThePoolIsReused(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind(TestUtil.Endpoint(transport)));

        var kept = new List<(Frame Frame, byte[] Expected)>();
        for (var i = 0; i < 200; i++)
        {
            var size = i % 3 == 0 ? 12_000 : 40 + i;
            await push.SendOrFail(new Message(new Frame(Payload(i, size))));
            var message = await pull.ReceiveOrFail();
            kept.Add((message.First, Payload(i, size)));
            message.Dispose();
        }

        // Later traffic reuses pooled messages and buffers; the kept frames must not see it.
        for (var i = 0; i < 200; i++)
        {
            push.Send(Payload(1000 + i, 12_000));
            (await pull.ReceiveOrFail()).Dispose();
        }

        foreach (var (frame, expected) in kept)
        {
            Assert.True(frame.Span.SequenceEqual(expected));
        }
    }

    [Fact]
    public async Task FramesSharedByTwoMessages_AreNotReturnedToTheSharedArrayPoolTwice()
    {
        await using var pull = new PullSocket(TestUtil.Quick);
        await using var push = new PushSocket(TestUtil.Quick);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        const int size = 10_000;
        await push.SendOrFail(new Message(new Frame(Payload(1, size))));
        var request = await pull.ReceiveOrFail();
        var copy = new Message(request[0]);
        request.Dispose();
        copy.Dispose();

        // A double return would hand the same array out twice.
        var a = ArrayPool<byte>.Shared.Rent(size);
        var b = ArrayPool<byte>.Shared.Rent(size);
        Assert.NotSame(a, b);
        ArrayPool<byte>.Shared.Return(a);
        ArrayPool<byte>.Shared.Return(b);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task SentMessage_CannotBeUsedOrSentAgain(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind(TestUtil.Endpoint(transport)));

        var message = new Message("first", "second");
        await push.SendOrFail(message);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await push.SendAsync(message));
        Assert.Throws<ObjectDisposedException>(() => push.Send(message));
        Assert.Throws<ObjectDisposedException>(() => push.TrySend(message, TimeSpan.Zero));
        Assert.Throws<ObjectDisposedException>(() => message.Count);
        Assert.Throws<ObjectDisposedException>(() => message[0]);
        Assert.Throws<ObjectDisposedException>(() => message.Append("more"));
        Assert.Throws<ObjectDisposedException>(() => message.Pop());
        Assert.Throws<ObjectDisposedException>(() => message.ToStrings());
        message.Dispose(); // does nothing: the message is the socket's

        using var received = await pull.ReceiveOrFail();
        Assert.Equal(["first", "second"], received.ToStrings());

        // Nothing else arrives: the second sends were refused, not sent empty.
        Assert.False(pull.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ReceivedMessage_ForwardedThenReused_Throws_AndTheForwardedCopyIsIntact(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        await using var pull2 = new PullSocket(TestUtil.Quick, context);
        await using var push2 = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind(TestUtil.Endpoint(transport)));
        push2.Connect(pull2.Bind(TestUtil.Endpoint(transport)));

        await push.SendOrFail(new Message("hop"));
        var received = await pull.ReceiveOrFail();
        await push2.SendOrFail(received);
        Assert.Throws<ObjectDisposedException>(() => received.Append("late"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await push2.SendAsync(received));
        using var forwarded = await pull2.ReceiveOrFail();
        Assert.Equal(["hop"], forwarded.ToStrings());
        Assert.False(pull2.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task DisposedMessage_CannotBeUsed(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind(TestUtil.Endpoint(transport)));
        await push.SendOrFail(new Message("x"));
        var received = await pull.ReceiveOrFail();
        received.Dispose();
        received.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => received[0]);
        Assert.Throws<ObjectDisposedException>(() => push.Send(received));

        var mine = new Message("y");
        mine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => mine.Count);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await push.SendAsync(mine));
    }

    [Fact]
    public void StaleHandle_StaysDead_EvenAfterThePoolReusesItsStorage()
    {
        var message = new Message("first");
        var copy = message;
        message.Dispose();

        // New messages on this thread take the pooled storage back; the old handles must not reach them.
        var others = new List<Message>();
        for (var i = 0; i < 64; i++)
        {
            others.Add(new Message($"other {i}"));
        }

        Assert.Throws<ObjectDisposedException>(() => copy.Count);
        Assert.Throws<ObjectDisposedException>(() => message.Append("x"));
        copy.Dispose();
        message.Dispose();
        for (var i = 0; i < others.Count; i++)
        {
            Assert.Equal([$"other {i}"], others[i].ToStrings());
            others[i].Dispose();
        }
    }

    [Fact]
    public async Task DefaultMessage_IsNoMessage()
    {
        await using var push = new PushSocket(TestUtil.Quick);
        var none = default(Message);
        Assert.Throws<ObjectDisposedException>(() => none.Count);
        Assert.Throws<ObjectDisposedException>(() => push.Send(none));
        Assert.Equal("(no message)", none.ToString());
        none.Dispose();
    }

    [Fact]
    public async Task SendThatDoesNotHappen_LeavesTheMessageWithTheCaller()
    {
        // No peer: PUSH waits, so a timed-out or cancelled send gives the message back.
        await using var push = new PushSocket(TestUtil.Quick);
        var message = new Message("kept");
        Assert.False(push.TrySend(message, TimeSpan.FromMilliseconds(20)));
        Assert.Equal("kept", message[0].ToString());

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await push.SendAsync(message, cancel.Token));
        Assert.Equal("kept", message[0].ToString());

        await using var req = new ReqSocket(TestUtil.Quick);
        await using var rep = new RepSocket(TestUtil.Quick);
        req.Connect(rep.Bind("inproc://ownership-req"));
        await req.SendOrFail(new Message("one"));
        var second = new Message("two");
        Assert.Throws<InvalidOperationException>(() => req.Send(second));
        Assert.Single(second);
        second.Dispose();
    }

    [Theory]
    [InlineData(ZmqSocketType.Pair)]
    [InlineData(ZmqSocketType.Pub)]
    [InlineData(ZmqSocketType.Sub)]
    [InlineData(ZmqSocketType.XPub)]
    [InlineData(ZmqSocketType.XSub)]
    [InlineData(ZmqSocketType.Req)]
    [InlineData(ZmqSocketType.Rep)]
    [InlineData(ZmqSocketType.Dealer)]
    [InlineData(ZmqSocketType.Router)]
    [InlineData(ZmqSocketType.Push)]
    [InlineData(ZmqSocketType.Pull)]
    public async Task ZeroFrameMessage_IsRefused_ByEverySocketType(ZmqSocketType type)
    {
        await using var socket = ZmqSocket.Create(type, TestUtil.Quick);
        socket.Bind(TestUtil.Endpoint("inproc"));
        var empty = new Message();
        var error = Assert.Throws<ArgumentException>(() => socket.Send(empty));
        Assert.Contains("frame", error.Message);
        await Assert.ThrowsAsync<ArgumentException>(async () => await socket.SendAsync(empty));
        Assert.Throws<ArgumentException>(() => socket.TrySend(empty, TimeSpan.Zero));

        // Refused, not taken: the message is still the caller's.
        empty.Append("now it has one");
        Assert.Single(empty);
    }

    public static TheoryData<string, string> BrokerRoutes => new()
    {
        { "tcp", "inproc" },
        { "ipc", "tcp" },
        { "inproc", "ipc" },
    };

    [Theory]
    [MemberData(nameof(BrokerRoutes))]
    public async Task ForwardingBroker_Moves100000Messages_BetweenTransports_ByteForByte(string front, string back)
    {
        // Clients (DEALER) -> ROUTER frontend | broker | DEALER backend -> worker (DEALER) echoing with the
        // zguide idiom; the broker forwards requests as new messages of the received frames and replies as
        // the received message itself, so both ways of reusing a message cross every transport.
        const int clients = 4;
        const int perClient = 25_000;
        const int window = 64;
        using var context = new Context();
        await using var frontend = new RouterSocket(TestUtil.Quick, context);
        await using var backend = new DealerSocket(TestUtil.Quick, context);
        await using var worker = new DealerSocket(TestUtil.Quick, context);
        var frontEndpoint = frontend.Bind(TestUtil.Endpoint(front));
        worker.Connect(backend.Bind(TestUtil.Endpoint(back)));

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var workerTask = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Message request;
                try
                {
                    request = await worker.ReceiveAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var reply = new Message(request[0], request[1], request[2]);
                request.Dispose();
                await worker.SendAsync(reply, stop.Token);
            }
        });

        var brokerTask = Task.Run(async () =>
        {
            var up = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    Message request;
                    try
                    {
                        request = await frontend.ReceiveAsync(stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }

                    var forward = new Message();
                    foreach (var frame in request)
                    {
                        forward.Append(frame);
                    }

                    request.Dispose();
                    await backend.SendAsync(forward, stop.Token);
                }
            });
            while (!stop.IsCancellationRequested)
            {
                Message reply;
                try
                {
                    reply = await backend.ReceiveAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                await frontend.SendAsync(reply, stop.Token);
            }

            await up;
        });

        var clientTasks = new List<Task<int>>();
        for (var c = 0; c < clients; c++)
        {
            var id = c;
            clientTasks.Add(Task.Run(async () =>
            {
                await using var client = new DealerSocket(TestUtil.Quick, context);
                client.Connect(frontEndpoint);
                var sent = 0;
                var checkedCount = 0;
                while (checkedCount < perClient)
                {
                    while (sent < perClient && sent - checkedCount < window)
                    {
                        var seq = sent++;
                        var size = Size(seq);
                        var header = new byte[8];
                        BitConverter.TryWriteBytes(header, id);
                        BitConverter.TryWriteBytes(header.AsSpan(4), seq);
                        await client.SendAsync(new Message(new Frame(header), new Frame(Payload(id * perClient + seq, size))), stop.Token);
                    }

                    using var reply = await client.ReceiveAsync(stop.Token);
                    Assert.Equal(2, reply.Count);
                    var header2 = reply[0].Span;
                    Assert.Equal(id, BitConverter.ToInt32(header2));
                    var seq2 = BitConverter.ToInt32(header2[4..]);
                    Assert.Equal(checkedCount, seq2);
                    Assert.True(reply[1].Span.SequenceEqual(Payload(id * perClient + seq2, Size(seq2))), $"client {id} message {seq2} corrupted");
                    checkedCount++;
                }

                return checkedCount;
            }));
        }

        var counts = await Task.WhenAll(clientTasks);
        stop.Cancel();
        await Task.WhenAll(workerTask, brokerTask);
        Assert.All(counts, count => Assert.Equal(perClient, count));

        static int Size(int seq) => (seq % 50) switch
        {
            0 => 10_000,
            1 => 20_000,
            2 => 0,
            _ => 1 + seq % 300,
        };
    }
}
