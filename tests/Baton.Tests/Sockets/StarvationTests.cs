using System.Collections.Concurrent;
using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Baton.Tests.Interop;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Tests.Sockets;

[CollectionDefinition(nameof(StarvationTests), DisableParallelization = true)]
public class StarvationCollection
{
}

/// <summary>
/// Connections keep flowing while the application blocks every thread-pool thread for 10 s: heartbeats
/// keep peers connected and messages arrive at a receiver on a thread of its own (docs/IO.md). Runs
/// alone, since starving the pool would stall every other test.
/// </summary>
[Collection(nameof(StarvationTests))]
public class StarvationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    // One message every 50 ms for 7.5 s: all of it sent and due to arrive inside the window.
    private const int Count = 150;
    private const int IntervalMs = 50;

    private static SocketOptions Heartbeats => new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        HeartbeatTimeout = TimeSpan.FromSeconds(1),
        HeartbeatTtl = TimeSpan.FromSeconds(1),
    };

    private static readonly Dictionary<string, object> s_libzmqHeartbeats = new()
    {
        ["HEARTBEAT_IVL"] = 100,
        ["HEARTBEAT_TIMEOUT"] = 1000,
        ["HEARTBEAT_TTL"] = 1000,
    };

    [Fact]
    public async Task LibzmqPeers_StayConnectedAndMessagesFlowBothWays_WhileEveryPoolThreadIsBlocked()
    {
        await using var context = new Context();

        // libzmq -> Baton
        await using var pyPush = await PyzmqPeer.StartAsync("PUSH", s_libzmqHeartbeats);
        await using var pull = context.CreateSocket(ZmqSocketType.Pull, Heartbeats);
        await pyPush.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));

        // Baton -> libzmq
        await using var pyPull = await PyzmqPeer.StartAsync("PULL", s_libzmqHeartbeats);
        await using var push = context.CreateSocket(ZmqSocketType.Push, Heartbeats);
        push.Connect(await pyPull.BindAsync("tcp://127.0.0.1:*"));

        using var pullEvents = new EventLog(pull);
        using var pushEvents = new EventLog(push);
        await pull.WaitForPeerAsync().WaitAsync(TestUtil.Timeout);
        await push.WaitForPeerAsync().WaitAsync(TestUtil.Timeout);
        await pyPull.DrainAsync(Count, quietMs: 15_000);
        await pyPush.StreamAsync(Count, IntervalMs);

        var result = Starve(
            (Receive(pull), "libzmq -> Baton"),
            (Send(push), "Baton -> libzmq"));

        Assert.False(result.ProbeRan, "the thread pool was not starved: a probe work item ran");
        Assert.Equal(Count, result.Counts["libzmq -> Baton"]);
        Assert.Equal(1, result.Peers["libzmq -> Baton"]);
        Assert.Equal(1, result.Peers["Baton -> libzmq"]);
        Assert.Equal(Count, (await pyPull.JoinAsync()).Count);
        Assert.Equal(Count, (await pyPush.JoinAsync()).Count);

        // libzmq saw no disconnect either: Baton answered its PINGs throughout.
        Assert.Equal(0, (await pyPush.EventsAsync())["DISCONNECTED"]);
        Assert.Equal(0, (await pyPull.EventsAsync())["DISCONNECTED"]);
        await pullEvents.AssertNoDropAsync();
        await pushEvents.AssertNoDropAsync();
    }

    [Fact]
    public async Task BatonPeers_StayConnectedAndMessagesFlow_OverTcpAndIpc_WhileEveryPoolThreadIsBlocked()
    {
        await using var context = new Context();
        var pairs = new List<(ZmqSocket Push, ZmqSocket Pull, EventLog PushEvents, EventLog PullEvents, string Name)>();
        try
        {
            foreach (var transport in new[] { "tcp", "ipc" })
            {
                var pull = context.CreateSocket(ZmqSocketType.Pull, Heartbeats);
                var push = context.CreateSocket(ZmqSocketType.Push, Heartbeats);
                pairs.Add((push, pull, new EventLog(push), new EventLog(pull), transport));
                push.Connect(pull.Bind(TestUtil.Endpoint(transport)));
                await pull.WaitForPeerAsync().WaitAsync(TestUtil.Timeout);
                await push.WaitForPeerAsync().WaitAsync(TestUtil.Timeout);
            }

            var work = new List<(Func<CancellationToken, (int, int)>, string)>();
            foreach (var pair in pairs)
            {
                work.Add((Send(pair.Push), pair.Name + " send"));
                work.Add((Receive(pair.Pull), pair.Name + " receive"));
            }

            var result = Starve([.. work]);

            Assert.False(result.ProbeRan, "the thread pool was not starved: a probe work item ran");
            foreach (var pair in pairs)
            {
                Assert.Equal(Count, result.Counts[pair.Name + " receive"]);
                Assert.Equal(1, result.Peers[pair.Name + " receive"]);
                Assert.Equal(1, result.Peers[pair.Name + " send"]);
                await pair.PushEvents.AssertNoDropAsync();
                await pair.PullEvents.AssertNoDropAsync();
            }
        }
        finally
        {
            foreach (var pair in pairs)
            {
                pair.PushEvents.Dispose();
                pair.PullEvents.Dispose();
                await pair.Push.DisposeAsync();
                await pair.Pull.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LibzmqPeer_ReconnectingWhileEveryPoolThreadIsBlocked_IsAcceptedAndDelivers()
    {
        await using var context = new Context();
        await using var pull = context.CreateSocket(ZmqSocketType.Pull, Heartbeats);
        var bound = pull.Bind("tcp://127.0.0.1:0");
        using var proxy = new CuttableProxy(int.Parse(bound[(bound.LastIndexOf(':') + 1)..]));
        await using var pyPush = await PyzmqPeer.StartAsync("PUSH", s_libzmqHeartbeats);
        await pyPush.ConnectAsync($"tcp://127.0.0.1:{proxy.Port}");
        await pull.WaitForPeerAsync().WaitAsync(TestUtil.Timeout);
        await pyPush.StreamAsync(Count, IntervalMs);

        string? last = null;
        var result = Starve(
            (windowEnd =>
            {
                // Messages in flight when the link is cut may be lost, as with libzmq: count what comes, keep the last.
                var received = 0;
                while (last != (Count - 1).ToString() && !windowEnd.IsCancellationRequested)
                {
                    if (pull.TryReceive(out var message, TimeSpan.FromMilliseconds(100)))
                    {
                        last = Encoding.ASCII.GetString(message[0].Span);
                        message.Dispose();
                        received++;
                    }
                }

                windowEnd.WaitHandle.WaitOne();
                return (received, pull.ConnectedPeerCount);
            }, "receive"),
            (windowEnd =>
            {
                // A third of the way in, the network fails; libzmq reconnects and Baton must accept it.
                windowEnd.WaitHandle.WaitOne(Window / 3);
                proxy.Cut();
                return (1, 0);
            }, "cut"));

        Assert.False(result.ProbeRan, "the thread pool was not starved: a probe work item ran");
        Assert.Equal(2, proxy.Accepted);
        Assert.Equal((Count - 1).ToString(), last);
        Assert.Equal(1, result.Peers["receive"]);
    }

    /// <summary>Receives on the calling (dedicated) thread until <see cref="Count"/> came or the window ends; returns the count and the peers still connected.</summary>
    private static Func<CancellationToken, (int Count, int Peers)> Receive(ZmqSocket socket) => windowEnd =>
    {
        var received = 0;
        while (received < Count && !windowEnd.IsCancellationRequested)
        {
            if (socket.TryReceive(out var message, TimeSpan.FromMilliseconds(100)))
            {
                Assert.Equal(received.ToString(), Encoding.ASCII.GetString(message[0].Span));
                message.Dispose();
                received++;
            }
        }

        windowEnd.WaitHandle.WaitOne();
        return (received, socket.ConnectedPeerCount);
    };

    /// <summary>Sends <see cref="Count"/> messages from the calling (dedicated) thread, one every <see cref="IntervalMs"/>.</summary>
    private static Func<CancellationToken, (int Count, int Peers)> Send(ZmqSocket socket) => windowEnd =>
    {
        var sent = 0;
        while (sent < Count && !windowEnd.IsCancellationRequested)
        {
            if (socket.TrySend(Encoding.ASCII.GetBytes(sent.ToString()), TimeSpan.FromSeconds(1)))
            {
                sent++;
            }

            // Pacing, not synchronisation: traffic spread over the window.
            windowEnd.WaitHandle.WaitOne(IntervalMs);
        }

        windowEnd.WaitHandle.WaitOne();
        return (sent, socket.ConnectedPeerCount);
    };

    /// <summary>Blocks every pool thread for <see cref="Window"/> while each job runs on a thread of its own; the pool is freed whatever happens.</summary>
    private StarveResult Starve(params (Func<CancellationToken, (int Count, int Peers)> Job, string Name)[] jobs)
    {
        var counts = new ConcurrentDictionary<string, int>();
        var peers = new ConcurrentDictionary<string, int>();
        var errors = new ConcurrentQueue<Exception>();
        using var windowEnd = new CancellationTokenSource();
        var starvation = PoolStarvation.Begin();
        bool probeRan;
        try
        {
            var threads = jobs.Select(job => new Thread(() =>
            {
                try
                {
                    var (count, connected) = job.Job(windowEnd.Token);
                    counts[job.Name] = count;
                    peers[job.Name] = connected;
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            }) { IsBackground = true, Name = job.Name }).ToList();
            threads.ForEach(thread => thread.Start());

            // The window itself: a dedicated timer thread would be a pool callback, so wait here.
            Thread.Sleep(Window);
            probeRan = starvation.ProbeRan;
            output.WriteLine($"{starvation.Describe}; at the end {starvation.Blocked} of {ThreadPool.ThreadCount}, probe ran: {probeRan}");
            windowEnd.Cancel();
            foreach (var thread in threads)
            {
                thread.Join(TestUtil.Timeout);
            }
        }
        finally
        {
            starvation.Dispose();
        }

        Assert.Empty(errors);
        return new StarveResult(probeRan, counts, peers);
    }

    private sealed record StarveResult(bool ProbeRan, IReadOnlyDictionary<string, int> Counts, IReadOnlyDictionary<string, int> Peers);

    /// <summary>A socket's monitor events, collected from the start.</summary>
    private sealed class EventLog : IDisposable
    {
        private readonly ZmqSocket _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<SocketEvent> _events = new();
        private readonly Task _reader;

        public EventLog(ZmqSocket socket)
        {
            _socket = socket;
            var events = socket.MonitorAsync(_stop.Token);
            _reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in events)
                    {
                        _events.Enqueue(e);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        /// <summary>No peer dropped or disconnected so far: a marker event is awaited first, so every earlier event has been read.</summary>
        public async Task AssertNoDropAsync()
        {
            var marker = $"inproc://marker-{Guid.NewGuid():N}";
            _socket.Bind(marker);
            var deadline = DateTime.UtcNow + TestUtil.Timeout;
            while (!_events.Any(e => e.Kind == SocketEventKind.Listening && e.Endpoint == marker))
            {
                Assert.True(DateTime.UtcNow < deadline, "the monitor did not deliver the marker event");
                await Task.Delay(10);
            }

            Assert.DoesNotContain(_events, e => e.Kind is SocketEventKind.PeerDropped or SocketEventKind.Disconnected);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _reader.Wait(TestUtil.Timeout);
        }
    }
}
