using System.Net;
using System.Net.Sockets;
using Baton.Messages;
using Baton.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Tests.Wire;

/// <summary>Memory tests run alone: other tests' allocations would blur the figures.</summary>
[CollectionDefinition(nameof(HostilePeerMemoryTests), DisableParallelization = true)]
public class HostilePeerMemoryCollection
{
}

/// <summary>
/// A hostile peer costs memory only as its bytes arrive: each attack runs against a PULL socket while
/// a legitimate PUSH keeps sending, whose messages must all arrive whole and in order, and the managed
/// heap must stay near where it was (bounds are generous; the attacks cost hundreds of MB unbounded).
/// </summary>
[Collection(nameof(HostilePeerMemoryTests))]
public class HostilePeerMemoryTests(ITestOutputHelper output)
{
    private static readonly byte[] Handshake = [.. RawZmtp.Greeting(), .. RawZmtp.Ready("PUSH")];

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>A PULL with a legitimate PUSH that sends numbered messages until stopped; every one must arrive in order.</summary>
    private sealed class Legitimate : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<int> _sender;
        private int _received;

        public Legitimate(PullSocket pull, PushSocket push)
        {
            Pull = pull;
            _sender = Task.Run(async () =>
            {
                var sent = 0;
                var payload = new byte[100];
                while (!_stop.IsCancellationRequested)
                {
                    BitConverter.TryWriteBytes(payload, sent);
                    try
                    {
                        // Waits at the HWM while the test is not receiving.
                        await push.SendAsync(new Message(payload.ToArray(), $"legit-{sent}"), _stop.Token);
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        break;
                    }

                    sent++;
                    if (sent % 64 == 0)
                    {
                        await Task.Yield();
                    }
                }

                return sent;
            });
        }

        public PullSocket Pull { get; }

        /// <summary>Receives legitimate messages until <paramref name="count"/> more have come (or, with a marker, until it comes).</summary>
        public async Task<Message?> ReceiveAsync(int count, string? marker = null)
        {
            var target = _received + count;
            while (marker is not null || _received < target)
            {
                var message = await Pull.ReceiveOrFail();
                if (message.Count == 1 && message[0].ToString() == marker)
                {
                    return message;
                }

                Check(message);
            }

            return null;
        }

        private void Check(Message message)
        {
            using (message)
            {
                Assert.Equal(2, message.Count);
                Assert.Equal(100, message[0].Length);
                Assert.Equal(_received, BitConverter.ToInt32(message[0].Span));
                Assert.Equal($"legit-{_received}", message[1].ToString());
                _received++;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            var sent = await _sender.WaitAsync(TestUtil.Timeout);
            while (_received < sent)
            {
                Check(await Pull.ReceiveOrFail());
            }
        }
    }

    private static async Task<(PullSocket Pull, PushSocket Push, string Endpoint)> StartAsync(Context context, SocketOptions? options = null)
    {
        var pull = new PullSocket(options ?? TestUtil.Quick, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        await pull.WaitForPeerAsync(cancel.Token);
        return (pull, push, endpoint);
    }

    private static async Task<List<RawPeer>> ConnectAsync(string endpoint, int count, byte[] bytes)
    {
        var peers = new List<RawPeer>();
        for (var i = 0; i < count; i++)
        {
            var peer = await RawPeer.ConnectAsync(endpoint);
            await peer.SendAsync(bytes);
            peers.Add(peer);
        }

        return peers;
    }

    private static async Task WaitForPeersAsync(ZmqSocket socket, int count, bool exactly = false)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (exactly ? socket.ConnectedPeerCount != count : socket.ConnectedPeerCount < count)
        {
            await Task.Delay(10, cancel.Token);
        }
    }

    [Fact]
    public async Task LongFrameHeaders_CostOnlyTheBytesThatArrive()
    {
        const int attackers = 32;
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (pull, push, endpoint) = await StartAsync(context);
        await using var _ = pull;
        await using var __ = push;
        await using var legit = new Legitimate(pull, push);
        await legit.ReceiveAsync(1000);
        var before = Heap();

        // Each announces a frame of almost 2 GB (the largest a .NET array holds), sends 1,000 bytes of it and waits. Unbounded, that is 256 MB each at once.
        var peers = await ConnectAsync(endpoint, attackers, [.. Handshake, .. RawZmtp.Header(0x00, int.MaxValue - 100), .. new byte[1000]]);
        await WaitForPeersAsync(pull, attackers + 1);
        await legit.ReceiveAsync(2000);
        var during = Heap();
        output.WriteLine($"{attackers} peers each announcing 2 GB: {(during - before) / 1024} KB");
        Assert.True(during - before < 32L << 20, $"{attackers} announced 2 GB frames took {(during - before) >> 20} MB");

        foreach (var peer in peers)
        {
            peer.Dispose();
        }

        await WaitForPeersAsync(pull, 1, exactly: true);
        await legit.ReceiveAsync(1000);
        Assert.True(Heap() - before < 16L << 20, "memory did not come back after the peers left");
        Assert.All(logs.Drops, d => Assert.Contains("middle of a frame", d.Message));
    }

    [Fact]
    public async Task PingsFromAPeerThatNeverReads_KeepOnePongPending()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (pull, push, endpoint) = await StartAsync(context);
        await using var _ = pull;
        await using var __ = push;
        await using var legit = new Legitimate(pull, push);
        await legit.ReceiveAsync(1000);
        var before = Heap();

        // A small receive window, and never a read: our PONGs back up at once.
        using var socket = new Socket(AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, RawPeer.PortOf(endpoint)));
        var ping = RawZmtp.Command("PING", [0, 0], new byte[16]);
        var burst = Enumerable.Repeat(ping, 10_000).SelectMany(b => b).ToArray();
        await socket.SendAsync(Handshake);
        for (var i = 0; i < 100; i++)
        {
            // A million PINGs in all: unbounded, a million PONGs wait in memory (about 60 MB).
            await socket.SendAsync(burst);
        }

        // The marker comes after every PING on the same stream: once it arrives, all were handled.
        await socket.SendAsync(RawZmtp.Message("marker"));
        Assert.NotNull(await legit.ReceiveAsync(0, marker: "marker"));
        var during = Heap();
        output.WriteLine($"a million PINGs unread: {(during - before) / 1024} KB");
        Assert.True(during - before < 16L << 20, $"a million unanswered PINGs took {(during - before) >> 20} MB");
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task AMessageOfEndlessEmptyFrames_IsCutOffAtTheFrameLimit()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (pull, push, endpoint) = await StartAsync(context);
        await using var _ = pull;
        await using var __ = push;
        await using var legit = new Legitimate(pull, push);
        await legit.ReceiveAsync(1000);
        var before = Heap();

        using var raw = await RawPeer.ConnectAsync(endpoint);
        await raw.SendAsync(Handshake);
        var emptyMore = Enumerable.Repeat(new byte[] { 0x01, 0 }, 50_000).SelectMany(b => b).ToArray();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                // Ten million empty frames in all: unbounded, hundreds of MB for one message.
                await raw.SendAsync(emptyMore);
            }
        }
        catch (SocketException)
        {
            // Dropped on the way, as it should be.
        }

        var drop = await logs.WaitForDropAsync("maximum of 65536 frames");
        Assert.Contains(endpoint, drop.Message);
        await legit.ReceiveAsync(2000);
        var after = Heap();
        output.WriteLine($"after the frame flood: {(after - before) / 1024} KB");
        Assert.True(after - before < 16L << 20, $"the frame flood left {(after - before) >> 20} MB behind");
    }

    [Fact]
    public async Task HalfGreetings_CostLittle_AndAreCappedPerListener()
    {
        const int attackers = 1200;
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (pull, push, endpoint) = await StartAsync(context);
        await using var _ = pull;
        await using var __ = push;
        await using var legit = new Legitimate(pull, push);
        await legit.ReceiveAsync(1000);
        var before = Heap();

        // More half greetings than the listener takes at once: the rest wait in the backlog.
        var peers = await ConnectAsync(endpoint, attackers, RawZmtp.Greeting()[..10]);
        await logs.WaitForAsync(e => e.EventId == 9);
        await legit.ReceiveAsync(5000);
        var during = Heap();
        var each = (during - before) / 1024; // 1,024 handshakes in progress, the rest in the backlog
        output.WriteLine($"{attackers} half greetings: {(during - before) / 1024} KB in all, {each} B for each of the 1,024 handshakes in progress");
        Assert.True(each < 24 * 1024, $"a half greeting costs {each} B (a 64 KB read buffer would be more)");

        foreach (var peer in peers)
        {
            peer.Dispose();
        }

        await legit.ReceiveAsync(1000);
        Assert.True(Heap() - before < 16L << 20, "memory did not come back after the peers left");
    }

    [Fact]
    public async Task PeersStalledMidFrame_DoNotPinReadBuffers()
    {
        const int attackers = 200;
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (pull, push, endpoint) = await StartAsync(context);
        await using var _ = pull;
        await using var __ = push;
        await using var legit = new Legitimate(pull, push);
        await legit.ReceiveAsync(1000);
        var before = Heap();

        // A whole message, then the first byte of the next header, then nothing.
        var peers = await ConnectAsync(endpoint, attackers, [.. Handshake, .. RawZmtp.Message("stall"), 0x00]);
        for (var i = 0; i < attackers; i++)
        {
            Assert.NotNull(await legit.ReceiveAsync(0, marker: "stall"));
        }

        await legit.ReceiveAsync(2000);
        var during = Heap();
        var each = (during - before) / attackers;
        output.WriteLine($"{attackers} peers stalled mid-frame: {(during - before) / 1024} KB, {each} B each");
        Assert.True(each < 32 * 1024, $"a peer stalled mid-frame costs {each} B (a pinned 64 KB read buffer would be more)");

        foreach (var peer in peers)
        {
            peer.Dispose();
        }

        await legit.ReceiveAsync(1000);
        Assert.True(Heap() - before < 16L << 20, "memory did not come back after the peers left");
    }
}
