using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class PollerTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task Poll_ReportsTheSocketsWithMessages_AndOnlyThose(string transport)
    {
        using var context = new Context();
        var pulls = new PullSocket[3];
        var pushes = new PushSocket[3];
        try
        {
            for (var i = 0; i < 3; i++)
            {
                pulls[i] = new PullSocket(TestUtil.Quick, context);
                pushes[i] = new PushSocket(TestUtil.Quick, context);
                pushes[i].Connect(pulls[i].Bind(TestUtil.Endpoint(transport)));
            }

            using var poller = new Poller();
            foreach (var pull in pulls)
            {
                poller.Add(pull);
            }

            Assert.Equal(3, poller.Count);
            Assert.Empty(await poller.PollAsync(TimeSpan.Zero));

            await pushes[0].SendOrFail(new Message("zero"));
            await pushes[2].SendOrFail(new Message("two"));
            var ready = new PollResult();
            await WaitUntilAsync(poller, ready, r => r.IsReady(pulls[0]) && r.IsReady(pulls[2]));
            Assert.Equal(2, ready.Count);
            Assert.False(ready.IsReady(pulls[1]));
            Assert.Equal(PollEvents.Receive, ready.EventsOf(pulls[0]));

            // Level-triggered: still ready until received.
            Assert.True(await poller.PollAsync(ready, TimeSpan.Zero));
            Assert.Equal(2, ready.Count);
            using (var m = await pulls[0].ReceiveOrFail())
            {
                Assert.Equal("zero", m.ToString());
            }

            Assert.True(poller.Poll(ready, TestUtil.Timeout));
            Assert.Equal(pulls[2], Assert.Single(ready).Socket);
        }
        finally
        {
            foreach (var socket in pushes.Concat<ZmqSocket>(pulls))
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Poll_DoesNotConsume_TheMessageIsStillThereToReceive()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        using var poller = new Poller();
        poller.Add(pull);

        await push.SendOrFail(new Message("a", "b"));
        var ready = await poller.PollAsync(TestUtil.Timeout);
        Assert.True(ready.IsReady(pull));
        Assert.True((await poller.PollAsync(TimeSpan.Zero)).IsReady(pull));

        Assert.True(pull.TryReceive(out var message, TimeSpan.Zero));
        using (message)
        {
            Assert.Equal(["a", "b"], message.ToStrings());
        }

        Assert.Empty(await poller.PollAsync(TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task Poll_TimesOut_WithNothing_AfterAboutTheTimeout()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://poll-timeout-" + Guid.NewGuid().ToString("N"));
        using var poller = new Poller();
        poller.Add(pull);

        var clock = Stopwatch.StartNew();
        var result = await poller.PollAsync(Short);
        var asyncElapsed = clock.Elapsed;
        Assert.Empty(result);

        clock.Restart();
        Assert.False(poller.Poll(new PollResult(), Short));
        var syncElapsed = clock.Elapsed;

        foreach (var elapsed in new[] { asyncElapsed, syncElapsed })
        {
            Assert.InRange(elapsed, Short - TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(3));
        }

        // A poller with no sockets waits out its timeout too.
        using var empty = new Poller();
        clock.Restart();
        Assert.Empty(await empty.PollAsync(Short));
        Assert.True(clock.Elapsed >= Short - TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task Poll_Cancelled_ThrowsOperationCanceledException()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://poll-cancel-" + Guid.NewGuid().ToString("N"));
        using var poller = new Poller();
        poller.Add(pull);

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await poller.PollAsync(Timeout.InfiniteTimeSpan, cancel.Token));
        Assert.Equal(cancel.Token, thrown.CancellationToken);

        // With a timeout as well, the token still wins over the timeout.
        using var cancel2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await poller.PollAsync(TimeSpan.FromSeconds(30), cancel2.Token));
        Assert.Equal(cancel2.Token, thrown.CancellationToken);

        using var cancel3 = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        Assert.ThrowsAny<OperationCanceledException>(() => poller.Poll(TimeSpan.FromSeconds(30), cancel3.Token));

        // Already cancelled: throws at once, even with a message waiting.
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.LastEndpoint!);
        await push.SendOrFail(new Message("x"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await poller.PollAsync(TimeSpan.Zero, new CancellationToken(true)));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task SendReadiness_FollowsPeersAndTheHighWaterMark(string transport)
    {
        using var context = new Context();
        var options = TestUtil.Quick with { SendHighWatermark = 10, ReceiveHighWatermark = 10 };
        await using var push = new PushSocket(options, context);
        var endpoint = push.Bind(TestUtil.Endpoint(transport));
        using var poller = new Poller();
        poller.Add(push, PollEvents.Send);

        // A bound PUSH with no peer would wait: not writable.
        Assert.Empty(await poller.PollAsync(Short));

        // A peer arrives: writable, and the poll wakes for it.
        await using var pull = new PullSocket(options, context);
        var waiting = poller.PollAsync(TestUtil.Timeout).AsTask();
        pull.Connect(endpoint);
        Assert.True((await waiting).IsReady(push, PollEvents.Send));

        // Fill to the HWM (queues, the peer's receive share and, over tcp, the kernel's buffers).
        var sent = 0;
        var deadline = Stopwatch.StartNew();
        while (push.TrySend(new Message(new byte[1024]), TimeSpan.FromMilliseconds(50)))
        {
            sent++;
            Assert.True(deadline.Elapsed < TestUtil.Timeout, "the PUSH never reached its HWM");
        }

        Assert.Empty(await poller.PollAsync(Short));

        // The peer drains: writable again, and the waiting poll wakes.
        var poll = poller.PollAsync(TestUtil.Timeout).AsTask();
        var received = 0;
        while (!poll.IsCompleted && received < sent)
        {
            using var m = await pull.ReceiveOrFail();
            received++;
        }

        Assert.True((await poll).IsReady(push, PollEvents.Send));
    }

    [Fact]
    public async Task SendAndReceive_ReportedTogether_ForADealer()
    {
        using var context = new Context();
        await using var router = new RouterSocket(TestUtil.Quick, context);
        await using var dealer = new DealerSocket(TestUtil.Quick, context);
        dealer.Connect(router.Bind("inproc://poll-both-" + Guid.NewGuid().ToString("N")));
        using var poller = new Poller();
        poller.Add(dealer, PollEvents.Receive | PollEvents.Send);
        poller.Add(router, PollEvents.Receive);

        var ready = new PollResult();
        Assert.True(await poller.PollAsync(ready, TestUtil.Timeout));
        Assert.Equal(PollEvents.Send, ready.EventsOf(dealer));

        await dealer.SendOrFail(new Message("hi"));
        await WaitUntilAsync(poller, ready, r => r.IsReady(router));
        using var request = router.Receive();
        await router.SendOrFail(new Message(request[0], new Frame("back"u8.ToArray())));
        await WaitUntilAsync(poller, ready, r => r.IsReady(dealer, PollEvents.Receive | PollEvents.Send));
        Assert.False(ready.IsReady(router));
    }

    [Fact]
    public async Task ReqRep_ReadyOnlyWhenTheirTurnAllows()
    {
        using var context = new Context();
        await using var rep = new RepSocket(TestUtil.Quick, context);
        await using var req1 = new ReqSocket(TestUtil.Quick, context);
        await using var req2 = new ReqSocket(TestUtil.Quick, context);
        var endpoint = rep.Bind("inproc://poll-reqrep-" + Guid.NewGuid().ToString("N"));
        req1.Connect(endpoint);
        req2.Connect(endpoint);
        using var poller = new Poller();
        poller.Add(rep, PollEvents.Receive | PollEvents.Send);
        poller.Add(req1, PollEvents.Receive);
        var ready = new PollResult();

        // Nothing asked yet: REP has nothing to receive and no reply to send; REQ has not sent.
        Assert.False(await poller.PollAsync(ready, Short));

        await req1.SendOrFail(new Message("one"));
        await req2.SendOrFail(new Message("two"));
        await WaitUntilAsync(poller, ready, r => r.IsReady(rep));
        Assert.Equal(PollEvents.Receive, ready.EventsOf(rep));
        Assert.False(ready.IsReady(req1));

        // REP owes a reply: ready to send, not to receive, though the second request is queued.
        using (var first = rep.Receive())
        {
            Assert.True(await poller.PollAsync(ready, TestUtil.Timeout));
            Assert.Equal(PollEvents.Send, ready.EventsOf(rep));
            await rep.SendOrFail(new Message("re:" + first));
        }

        // The reply is the REQ's to receive; the REP may take the next request.
        await WaitUntilAsync(poller, ready, r => r.IsReady(req1) && r.IsReady(rep));
        Assert.Equal(PollEvents.Receive, ready.EventsOf(rep));
        using var reply = req1.Receive();
        Assert.StartsWith("re:", reply.ToString());
    }

    [Fact]
    public async Task Sub_IsReadyOnlyForWhatItSubscribedTo()
    {
        using var context = new Context();
        await using var pub = new PubSocket(TestUtil.Quick, context);
        await using var sub = new SubSocket(TestUtil.Quick, context);
        sub.Connect(pub.Bind("tcp://127.0.0.1:0"));
        sub.Subscribe("a");
        using (var wait = new CancellationTokenSource(TestUtil.Timeout))
        {
            await pub.WaitForSubscriberAsync(wait.Token);
        }

        using var poller = new Poller();
        poller.Add(sub);
        for (var i = 0; i < 10; i++)
        {
            await pub.SendOrFail(new Message("b", i.ToString()));
        }

        Assert.Empty(await poller.PollAsync(Short));
        await pub.SendOrFail(new Message("a", "yes"));
        Assert.True((await poller.PollAsync(TestUtil.Timeout)).IsReady(sub));
        Assert.True(sub.TryReceive(out var message, TimeSpan.Zero));
        using (message)
        {
            Assert.Equal(["a", "yes"], message.ToStrings());
        }
    }

    [Fact]
    public async Task Rep_MessagesItWouldDrop_DoNotMakeItReady()
    {
        using var context = new Context();
        await using var rep = new RepSocket(TestUtil.Quick, context);
        await using var dealer = new DealerSocket(TestUtil.Quick, context);
        dealer.Connect(rep.Bind("tcp://127.0.0.1:0"));
        using var poller = new Poller();
        poller.Add(rep);

        // No empty delimiter: not a request, a receive would drop it, so the poll must not report it.
        await dealer.SendOrFail(new Message("no-envelope"));
        Assert.Empty(await poller.PollAsync(TimeSpan.FromMilliseconds(300)));

        await dealer.SendOrFail(new Message("", "request"));
        Assert.True((await poller.PollAsync(TestUtil.Timeout)).IsReady(rep));
        Assert.True(rep.TryReceive(out var request, TimeSpan.Zero));
        using (request)
        {
            Assert.Equal("request", request.ToString());
        }
    }

    [Fact]
    public async Task Router_ProbesThatDropRefuse_RacingAReceiver_LoseAndDuplicateNothing()
    {
        // A ROUTER drops what comes from a peer whose identity was handed over. Polls drop that refuse
        // ahead of the receiver, so they take messages from the queue while the receiver does: every
        // real message must still arrive exactly once, in order.
        using var context = new Context();
        await using var router = new RouterSocket(TestUtil.Quick with { RouterHandover = true, ReceiveHighWatermark = 0 }, context);
        await using var old = new DealerSocket(TestUtil.Quick with { Identity = "x"u8.ToArray(), SendHighWatermark = 0 }, context);
        await using var current = new DealerSocket(TestUtil.Quick with { Identity = "x"u8.ToArray(), SendHighWatermark = 0 }, context);
        var endpoint = router.Bind("inproc://poll-handover-" + Guid.NewGuid().ToString("N"));
        old.Connect(endpoint);
        const int Count = 3000;
        for (var i = 0; i < Count; i++)
        {
            old.Send(new Message("old"));
        }

        current.Connect(endpoint);
        for (var i = 0; i < Count; i++)
        {
            current.Send(new Message(i.ToString()));
        }

        using var done = new CancellationTokenSource(TestUtil.Timeout);
        var probers = Enumerable.Range(0, 2).Select(_ => Task.Factory.StartNew(() =>
        {
            using var poller = new Poller();
            poller.Add(router);
            var ready = new PollResult();
            while (!done.IsCancellationRequested)
            {
                poller.Poll(ready, TimeSpan.Zero);
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        var next = 0;
        try
        {
            while (next < Count)
            {
                Assert.True(router.TryReceive(out var message, TestUtil.Timeout), $"message {next} never came");
                using (message)
                {
                    Assert.Equal(["x", next.ToString()], message.ToStrings());
                    next++;
                }
            }
        }
        finally
        {
            done.Cancel();
            await Task.WhenAll(probers);
        }

        Assert.False(router.TryReceive(out _, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task ReceiveAll_IsFair_AQuietSocketIsNotStarvedByAFloodingOne()
    {
        using var context = new Context();
        await using var flood = new PullSocket(TestUtil.Quick with { ReceiveHighWatermark = 0 }, context);
        await using var quiet = new PullSocket(TestUtil.Quick, context);
        await using var floodPush = new PushSocket(TestUtil.Quick with { SendHighWatermark = 0 }, context);
        await using var quietPush = new PushSocket(TestUtil.Quick, context);
        floodPush.Connect(flood.Bind("inproc://poll-flood-" + Guid.NewGuid().ToString("N")));
        quietPush.Connect(quiet.Bind("inproc://poll-quiet-" + Guid.NewGuid().ToString("N")));

        const int Backlog = 5000;
        for (var i = 0; i < Backlog; i++)
        {
            floodPush.Send(new Message("flood"));
        }

        using var poller = new Poller();
        poller.Add(flood);
        poller.Add(quiet);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var seen = 0;
        var quietAt = -1;
        var floods = 0;
        await foreach (var (socket, message) in poller.ReceiveAllAsync(cancel.Token))
        {
            using (message)
            {
                seen++;
                if (socket == quiet)
                {
                    Assert.Equal("quiet", message.ToString());
                    quietAt = seen;
                    break;
                }

                floods++;
                Assert.Same(flood, socket);
                if (floods == 10)
                {
                    // Well into the flood (a backlog of thousands still queued), the quiet one speaks.
                    await quietPush.SendOrFail(new Message("quiet"));
                }
            }
        }

        // It comes within a round or two of arriving, not behind the thousands of queued floods.
        Assert.InRange(quietAt, 11, 14);
        Assert.True(poller.Poll(TimeSpan.Zero).IsReady(flood));
    }

    [Fact]
    public async Task ReceiveAll_DeliversEveryMessageFromEverySocket_AndEndsWhenThePollerIsDisposed()
    {
        using var context = new Context();
        const int Sockets = 5;
        const int PerSocket = 200;
        var pulls = new List<PullSocket>();
        var pushes = new List<PushSocket>();
        var poller = new Poller();
        try
        {
            for (var i = 0; i < Sockets; i++)
            {
                var pull = new PullSocket(TestUtil.Quick, context);
                var push = new PushSocket(TestUtil.Quick, context);
                pulls.Add(pull);
                pushes.Add(push);
                push.Connect(pull.Bind(TestUtil.Endpoint(i % 2 == 0 ? "tcp" : "inproc")));
                poller.Add(pull);
            }

            var senders = pushes.Select((push, index) => Task.Run(async () =>
            {
                for (var n = 0; n < PerSocket; n++)
                {
                    await push.SendOrFail(new Message(index.ToString(), n.ToString()));
                }
            })).ToArray();

            var next = new int[Sockets];
            var total = 0;
            using var cancel = new CancellationTokenSource(TestUtil.Timeout);
            var consumer = Task.Run(async () =>
            {
                await foreach (var (socket, message) in poller.ReceiveAllAsync(cancel.Token))
                {
                    using (message)
                    {
                        var index = pulls.IndexOf((PullSocket)socket);
                        Assert.Equal(index.ToString(), message.ToStrings()[0]);
                        Assert.Equal(next[index]++.ToString(), message.ToStrings()[1]);
                        if (++total == Sockets * PerSocket)
                        {
                            poller.Dispose();
                        }
                    }
                }
            });

            await Task.WhenAll(senders);
            await consumer.WaitAsync(TestUtil.Timeout);
            Assert.All(next, count => Assert.Equal(PerSocket, count));
        }
        finally
        {
            poller.Dispose();
            foreach (var socket in pushes.Concat<ZmqSocket>(pulls))
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task PingPong_ThroughThePoller_LosesNoWakeUp(string transport)
    {
        using var context = new Context();
        await using var a = new PairSocket(TestUtil.Quick, context);
        await using var b = new PairSocket(TestUtil.Quick, context);
        b.Connect(a.Bind(TestUtil.Endpoint(transport)));
        using var pollA = new Poller();
        using var pollB = new Poller();
        pollA.Add(a);
        pollB.Add(b);

        // Each side waits on its poller (one async, one blocking on a thread of its own), then answers.
        var rounds = 2000;
        var sideB = Task.Factory.StartNew(() =>
        {
            var ready = new PollResult();
            for (var i = 0; i < rounds; i++)
            {
                Assert.True(pollB.Poll(ready, TestUtil.Timeout), $"B's poll timed out at round {i}");
                using var m = b.Receive();
                b.Send(m.GetSpan(0));
            }
        }, TaskCreationOptions.LongRunning);

        var readyA = new PollResult();
        for (var i = 0; i < rounds; i++)
        {
            await a.SendOrFail(new Message(i.ToString()));
            Assert.True(await pollA.PollAsync(readyA, TestUtil.Timeout), $"A's poll timed out at round {i}");
            Assert.True(a.TryReceive(out var reply, TimeSpan.Zero));
            using (reply)
            {
                Assert.Equal(i.ToString(), reply.ToString());
            }
        }

        await sideB.WaitAsync(TestUtil.Timeout);
    }

    [Fact]
    public async Task ManyThreads_PollingAndAddingAndRemoving_LoseNoMessage()
    {
        using var context = new Context();
        const int Sockets = 8;
        const int PerSocket = 500;
        var pulls = new List<PullSocket>();
        var pushes = new List<PushSocket>();
        var idle = new List<PullSocket>();
        using var poller = new Poller();
        try
        {
            for (var i = 0; i < Sockets; i++)
            {
                var pull = new PullSocket(TestUtil.Quick, context);
                var push = new PushSocket(TestUtil.Quick, context);
                push.Connect(pull.Bind(TestUtil.Endpoint(i % 2 == 0 ? "tcp" : "inproc")));
                pulls.Add(pull);
                pushes.Add(push);
                poller.Add(pull);
                var quiet = new PullSocket(TestUtil.Quick, context);
                quiet.Bind("inproc://poll-idle-" + Guid.NewGuid().ToString("N"));
                idle.Add(quiet);
            }

            var received = 0;
            using var done = new CancellationTokenSource(TestUtil.Timeout);

            // Four consumers: two blocking threads, two async loops, each taking what it finds ready.
            void Drain(PollResult ready)
            {
                foreach (var item in ready)
                {
                    if ((item.Events & PollEvents.Receive) != 0 && item.Socket.TryReceive(out var message, TimeSpan.Zero))
                    {
                        message.Dispose();
                        if (Interlocked.Increment(ref received) == Sockets * PerSocket)
                        {
                            done.Cancel();
                        }
                    }
                }
            }

            var consumers = new List<Task>();
            for (var c = 0; c < 2; c++)
            {
                consumers.Add(Task.Factory.StartNew(() =>
                {
                    var ready = new PollResult();
                    try
                    {
                        while (true)
                        {
                            poller.Poll(ready, TimeSpan.FromMilliseconds(100), done.Token);
                            Drain(ready);
                        }
                    }
                    catch (OperationCanceledException) when (done.IsCancellationRequested)
                    {
                    }
                }, TaskCreationOptions.LongRunning));
                consumers.Add(Task.Run(async () =>
                {
                    var ready = new PollResult();
                    try
                    {
                        while (true)
                        {
                            await poller.PollAsync(ready, TimeSpan.FromMilliseconds(100), done.Token);
                            Drain(ready);
                        }
                    }
                    catch (OperationCanceledException) when (done.IsCancellationRequested)
                    {
                    }
                }));
            }

            // Churn: idle sockets and the busy ones' events come and go while the others poll.
            var churn = Task.Run(() =>
            {
                var random = new Random(42);
                while (!done.IsCancellationRequested)
                {
                    var quiet = idle[random.Next(idle.Count)];
                    if (!poller.Remove(quiet))
                    {
                        poller.Add(quiet);
                    }

                    var busy = pulls[random.Next(pulls.Count)];
                    poller.Remove(busy);
                    poller.Add(busy, PollEvents.Receive);
                    Thread.Yield();
                }
            });

            var senders = pushes.Select(push => Task.Run(async () =>
            {
                for (var n = 0; n < PerSocket; n++)
                {
                    await push.SendOrFail(new Message("m"));
                }
            })).ToArray();

            await Task.WhenAll(senders);
            await Task.WhenAll(consumers).WaitAsync(TestUtil.Timeout + TestUtil.Timeout);
            await churn.WaitAsync(TestUtil.Timeout);
            Assert.Equal(Sockets * PerSocket, received);
        }
        finally
        {
            foreach (var socket in pushes.Concat<ZmqSocket>(pulls).Concat(idle))
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Add_WhileAnotherThreadPolls_WakesThatPoll()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind("inproc://poll-add-" + Guid.NewGuid().ToString("N")));
        await push.SendOrFail(new Message("waiting"));
        using var poller = new Poller();

        var blocked = Task.Factory.StartNew(() => poller.Poll(TestUtil.Timeout), TaskCreationOptions.LongRunning);
        var waiting = poller.PollAsync(TestUtil.Timeout).AsTask();
        Assert.False(waiting.IsCompleted);
        poller.Add(pull);
        Assert.True((await waiting.WaitAsync(TestUtil.Timeout)).IsReady(pull));
        Assert.True((await blocked.WaitAsync(TestUtil.Timeout)).IsReady(pull));

        // Removed: no longer reported, though the message is still queued; added back: reported again.
        Assert.True(poller.Remove(pull));
        Assert.Empty(await poller.PollAsync(TimeSpan.FromMilliseconds(50)));
        poller.Add(pull);
        Assert.True(poller.Poll(TimeSpan.Zero).IsReady(pull));
        Assert.True(pull.TryReceive(out var message, TimeSpan.Zero));
        message.Dispose();

        // Back and idle: a new message wakes the poll.
        var next = poller.PollAsync(TestUtil.Timeout).AsTask();
        await push.SendOrFail(new Message("again"));
        Assert.True((await next).IsReady(pull));
    }

    [Fact]
    public async Task SocketDisposedDuringPoll_IsReportedClosedOnce_AndDropped()
    {
        using var context = new Context();
        var doomed = new PullSocket(TestUtil.Quick, context);
        await using var other = new PullSocket(TestUtil.Quick, context);
        doomed.Bind("inproc://poll-doomed-" + Guid.NewGuid().ToString("N"));
        other.Bind("inproc://poll-other-" + Guid.NewGuid().ToString("N"));
        using var poller = new Poller();
        poller.Add(doomed);
        poller.Add(other);

        var poll = poller.PollAsync(TestUtil.Timeout).AsTask();
        Assert.False(poll.IsCompleted);
        var disposing = doomed.DisposeAsync().AsTask();
        var result = await poll.WaitAsync(TestUtil.Timeout);
        Assert.Equal(new PollItem(doomed, PollEvents.Closed), Assert.Single(result));
        Assert.False(poller.Contains(doomed));
        Assert.Equal(1, poller.Count);
        Assert.False(poller.Remove(doomed));
        await disposing;

        Assert.Empty(await poller.PollAsync(TimeSpan.FromMilliseconds(50)));
        Assert.Throws<ObjectDisposedException>(() => poller.Add(doomed));
    }

    [Fact]
    public async Task SocketDisposed_DuringReceiveAll_IsDropped_AndTheOthersGoOn()
    {
        using var context = new Context();
        var doomed = new PullSocket(TestUtil.Quick, context);
        await using var other = new PullSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        doomed.Bind("inproc://poll-doomed2-" + Guid.NewGuid().ToString("N"));
        push.Connect(other.Bind("tcp://127.0.0.1:0"));
        using var poller = new Poller();
        poller.Add(doomed);
        poller.Add(other);

        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        await using var stream = poller.ReceiveAllAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var next = stream.MoveNextAsync().AsTask();
        await doomed.DisposeAsync();
        await push.SendOrFail(new Message("still here"));
        Assert.True(await next);
        Assert.Same(other, stream.Current.Socket);
        Assert.Equal("still here", stream.Current.Message.ToString());
        stream.Current.Message.Dispose();
        Assert.False(poller.Contains(doomed));
    }

    [Fact]
    public async Task DisposingThePoller_WakesAWaitingPoll_WhichThrows()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://poll-dispose-" + Guid.NewGuid().ToString("N"));
        var poller = new Poller();
        poller.Add(pull);
        var poll = poller.PollAsync(Timeout.InfiniteTimeSpan).AsTask();
        await using (var stream = poller.ReceiveAllAsync().GetAsyncEnumerator())
        {
            var next = stream.MoveNextAsync().AsTask();
            await poller.DisposeAsync();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => poll.WaitAsync(TestUtil.Timeout));
            Assert.False(await next.WaitAsync(TestUtil.Timeout));
        }

        // The socket is not the poller's: it stays open.
        Assert.False(pull.TryReceive(out _, TimeSpan.Zero));
        Assert.Throws<ObjectDisposedException>(() => poller.Add(pull));
    }

    [Fact]
    public async Task Add_RefusesWhatTheSocketCannotDo()
    {
        using var context = new Context();
        await using var push = new PushSocket(TestUtil.Quick, context);
        await using var sub = new SubSocket(TestUtil.Quick, context);
        await using var pub = new PubSocket(TestUtil.Quick, context);
        using var poller = new Poller();
        Assert.Throws<NotSupportedException>(() => poller.Add(push, PollEvents.Receive));
        Assert.Throws<NotSupportedException>(() => poller.Add(sub, PollEvents.Send));
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Add(sub, PollEvents.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Add(sub, PollEvents.Closed));
        Assert.Throws<ArgumentOutOfRangeException>(() => poller.Poll(TimeSpan.FromMilliseconds(-2)));

        // PUB drops rather than waits: always writable, as in libzmq.
        poller.Add(pub, PollEvents.Send);
        Assert.True(poller.Poll(TimeSpan.Zero).IsReady(pub, PollEvents.Send));

        // Adding again changes the events.
        poller.Add(sub, PollEvents.Receive);
        Assert.Equal(2, poller.Count);
    }

    private static async Task WaitUntilAsync(Poller poller, PollResult ready, Func<PollResult, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var left = TestUtil.Timeout - clock.Elapsed;
            Assert.True(left > TimeSpan.Zero, "the poll never reported what the test waited for");
            if (await poller.PollAsync(ready, left) && condition(ready))
            {
                return;
            }

            if (ready.Count > 0)
            {
                // Ready, but not yet all that the test waits for: give the rest a moment to arrive.
                await Task.Delay(5);
            }
        }
    }
}
