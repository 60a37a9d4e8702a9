using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// The broker against raw DEALER peers that speak 7/MDP badly: each malformed or out-of-turn message
/// is logged and dropped (a worker that speaks out of turn is told DISCONNECT), and the broker goes on
/// serving; a fuzz run of 10,000 random MDP-shaped messages changes nothing.
/// </summary>
public class MajordomoProtocolTests
{
    private const int Dropped = 7001;
    private const int Refused = 7003;
    private const int Failed = 7007;

    private static readonly byte[] Mdpc = "MDPC01"u8.ToArray();
    private static readonly byte[] Mdpw = "MDPW01"u8.ToArray();

    public static TheoryData<string, string[]> MalformedClientMessages => new()
    {
        { "one frame only", [""] },
        { "no empty delimiter", ["x", "MDPC01", "echo", "body"] },
        { "an unknown header", ["", "MDPC02", "echo", "body"] },
        { "no body", ["", "MDPC01", "echo"] },
        { "an empty service name", ["", "MDPC01", "", "body"] },
        { "a two-byte command", ["", "MDPW01", "\u0001\u0001", "echo"] },
    };

    [Theory]
    [MemberData(nameof(MalformedClientMessages))]
    public async Task Broker_LogsAndDropsAMalformedMessage_AndKeepsServing(string what, string[] frames)
    {
        using var capture = new LogCapture();
        await using var run = await StartAsync(capture);
        await using var peer = new DealerSocket(context: run.Context);
        peer.Connect(run.Endpoint);

        await peer.SendOrFail(new Message(frames));
        var entry = await capture.WaitForAsync(e => e.EventId == Dropped);
        Assert.Contains("dropped a message", entry.Message, StringComparison.Ordinal);

        await AssertServesAsync(run, $"after {what}");
    }

    public static TheoryData<string, byte[][]> OutOfTurnWorkerMessages => new()
    {
        { "an unknown command", [[], Mdpw, [0x09]] },
        { "REPLY from an unknown worker", [[], Mdpw, [0x03], "client"u8.ToArray(), [], "body"u8.ToArray()] },
        { "HEARTBEAT from an unknown worker", [[], Mdpw, [0x04]] },
        { "REQUEST, a broker's command", [[], Mdpw, [0x02], "client"u8.ToArray(), [], "body"u8.ToArray()] },
        { "READY without a service", [[], Mdpw, [0x01]] },
        { "READY for mmi.service", [[], Mdpw, [0x01], "mmi.service"u8.ToArray()] },
    };

    [Theory]
    [MemberData(nameof(OutOfTurnWorkerMessages))]
    public async Task Broker_TellsAWorkerThatSpeaksOutOfTurn_Disconnect(string what, byte[][] frames)
    {
        using var capture = new LogCapture();
        await using var run = await StartAsync(capture);
        await using var peer = new DealerSocket(context: run.Context);
        peer.Connect(run.Endpoint);

        await peer.SendOrFail(Raw(frames));
        await ExpectDisconnectAsync(peer);
        Assert.Contains(capture.Entries, e => e.EventId == Refused);

        await AssertServesAsync(run, $"after {what}");
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("other")]
    public async Task Broker_DisconnectsAWorkerThatSaysReadyTwice_ForTheSameServiceOrAnother(string second)
    {
        using var capture = new LogCapture();
        await using var run = await StartAsync(capture);
        await using var peer = new DealerSocket(context: run.Context);
        peer.Connect(run.Endpoint);

        await peer.SendOrFail(Raw([], Mdpw, [0x01], "echo"u8.ToArray()));
        await peer.SendOrFail(Raw([], Mdpw, [0x01], System.Text.Encoding.UTF8.GetBytes(second)));
        await ExpectDisconnectAsync(peer);
        var entry = await capture.WaitForAsync(e => e.EventId == Refused);
        Assert.Contains("READY", entry.Message, StringComparison.Ordinal);

        // The refused worker is forgotten: the echo service is served by a real worker only.
        await AssertServesAsync(run, "after a double READY");
    }

    [Fact]
    public async Task Broker_DisconnectsAWorkerThatRepliesWithoutARequest()
    {
        using var capture = new LogCapture();
        await using var run = await StartAsync(capture);
        await using var peer = new DealerSocket(context: run.Context);
        peer.Connect(run.Endpoint);

        await peer.SendOrFail(Raw([], Mdpw, [0x01], "idle"u8.ToArray()));
        await peer.SendOrFail(Raw([], Mdpw, [0x03], "client"u8.ToArray(), [], "body"u8.ToArray()));
        await ExpectDisconnectAsync(peer);
        await AssertServesAsync(run, "after a reply out of turn");
    }

    [Fact]
    public async Task Broker_SurvivesTenThousandRandomMdpShapedMessages_AndServesANormalPairAfterwards()
    {
        const int Count = 10_000;
        const int Peers = 8;
        using var capture = new LogCapture();
        await using var run = await StartAsync(capture);
        var seed = Environment.TickCount;
        var random = new Random(seed);

        var peers = new DealerSocket[Peers];
        try
        {
            for (var i = 0; i < Peers; i++)
            {
                // No receive bound: the broker's DISCONNECTs and heartbeats to these peers pile up unread until the end.
                peers[i] = new DealerSocket(new SocketOptions { Linger = TimeSpan.Zero, ReceiveHighWatermark = 0 }, run.Context);
                peers[i].Connect(run.Endpoint);
            }

            for (var i = 0; i < Count; i++)
            {
                await peers[random.Next(Peers)].SendOrFail(RandomMessage(random));
            }

            // Each peer's last word is an MMI question: its answer means the broker got through everything that peer sent.
            foreach (var peer in peers)
            {
                await peer.SendOrFail(new Message(Frame.Empty, Mdpc, "mmi.service", "nothing"));
                using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                while (true)
                {
                    using var message = await peer.ReceiveAsync(cancel.Token);
                    if (message.Count == 4 && message[1].Span.SequenceEqual(Mdpc) && message[2].ToString() == "mmi.service")
                    {
                        break;
                    }
                }
            }

            Assert.False(run.Running.IsCompleted, $"the broker stopped (seed {seed})");
            Assert.DoesNotContain(capture.Entries, e => e.EventId == Failed);
            Assert.Contains(capture.Entries, e => e.EventId == Dropped);
            await AssertServesAsync(run, $"after the fuzz run (seed {seed})");
        }
        finally
        {
            foreach (var peer in peers)
            {
                if (peer is not null)
                {
                    await peer.DisposeAsync();
                }
            }
        }
    }

    /// <summary>A message shaped like MDP often enough to reach deep into the broker's checks.</summary>
    private static Message RandomMessage(Random random)
    {
        string[] services = ["a", "b", "mmi.service", "mmi.x", "", "echo-fuzz"];
        var frames = new List<byte[]>();
        frames.Add(random.Next(10) < 8 ? [] : RandomBytes(random, 1, 8));
        frames.Add(random.Next(10) switch
        {
            < 4 => Mdpc,
            < 8 => Mdpw,
            8 => [],
            _ => RandomBytes(random, 1, 8),
        });
        if (frames[1] == Mdpw)
        {
            frames.Add(random.Next(10) < 9 ? [(byte)random.Next(8)] : RandomBytes(random, 0, 3));
        }

        var more = random.Next(5);
        for (var i = 0; i < more; i++)
        {
            frames.Add(random.Next(3) switch
            {
                0 => System.Text.Encoding.UTF8.GetBytes(services[random.Next(services.Length)]),
                1 => [],
                _ => RandomBytes(random, 0, 20),
            });
        }

        // Sometimes cut the message short, down to one frame.
        var keep = random.Next(10) == 0 ? random.Next(1, frames.Count + 1) : frames.Count;
        return Raw([.. frames.Take(keep)]);
    }

    private static byte[] RandomBytes(Random random, int min, int max)
    {
        var bytes = new byte[random.Next(min, max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static Message Raw(params byte[][] frames)
    {
        var message = new Message();
        foreach (var frame in frames)
        {
            message.Append(new Frame(frame));
        }

        return message;
    }

    private static async Task ExpectDisconnectAsync(DealerSocket peer)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            using var message = await peer.ReceiveAsync(cancel.Token);
            if (message.Count == 3 && message[1].Span.SequenceEqual(Mdpw) && message[2].Span.SequenceEqual((byte[])[0x05]))
            {
                return;
            }
        }
    }

    private static async Task AssertServesAsync(Run run, string when)
    {
        var service = $"echo-{Guid.NewGuid():N}";
        using var stop = new CancellationTokenSource();
        await using var worker = new MajordomoWorker(run.Endpoint, service, new MajordomoWorkerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) }, run.Context);
        var serving = worker.RunAsync((request, _) => ValueTask.FromResult(request), stop.Token);
        try
        {
            await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context);
            using var reply = await client.RequestAsync(service, new Message("still", "serving"));
            Assert.True(reply.ToStrings().SequenceEqual(["still", "serving"]), $"wrong reply {when}: {reply}");
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving.WaitAsync(TestUtil.Timeout));
        }
    }

    private static Task<Run> StartAsync(LogCapture capture)
    {
        var context = capture.NewContext();
        var broker = new MajordomoBroker(new MajordomoBrokerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200) }, context);
        var endpoint = broker.Bind("tcp://127.0.0.1:0");
        var stop = new CancellationTokenSource();
        return Task.FromResult(new Run(broker, context, endpoint, stop, broker.RunAsync(stop.Token)));
    }

    private sealed record Run(MajordomoBroker Broker, Context Context, string Endpoint, CancellationTokenSource Stop, Task Running) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Running.WaitAsync(TestUtil.Timeout));
            await Broker.DisposeAsync();
            await Context.DisposeAsync();
            Stop.Dispose();
        }
    }
}
