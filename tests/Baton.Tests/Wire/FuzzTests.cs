using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Baton.Messages;
using Baton.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Tests.Wire;

/// <summary>
/// Feeds thousands of random and mutated ZMTP streams to a listening PULL socket over tcp: every bad
/// connection must be closed, none may hang or crash the socket, and a good peer keeps getting through.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int Streams = 10_000;
    private const int Concurrency = 48;

    private static readonly byte[] Valid = BuildValid(out HeaderOffsets);
    private static readonly int[] HeaderOffsets;

    private static byte[] BuildValid(out int[] headers)
    {
        var parts = new List<byte[]>
        {
            RawZmtp.Greeting(),
            RawZmtp.Ready("PUSH"),
            RawZmtp.Message("fuzz", "a"),
            RawZmtp.Command("PING", [0, 0], "ctx"u8.ToArray()),
            RawZmtp.Message(new byte[300], [1, 2, 3]),
            RawZmtp.Command("SUBSCRIBE", "x"u8.ToArray()),
            RawZmtp.Message("fuzz-end"),
        };
        var stream = new List<byte>();
        var offsets = new List<int>();
        foreach (var part in parts)
        {
            stream.AddRange(part);
        }

        // Frame headers, found by walking the frames after the greeting.
        var bytes = stream.ToArray();
        var at = RawZmtp.GreetingSize;
        while (at < bytes.Length)
        {
            offsets.Add(at);
            var isLong = (bytes[at] & 0x02) != 0;
            var size = isLong ? (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(at + 1)) : bytes[at + 1];
            at += (isLong ? 9 : 2) + size;
        }

        headers = [.. offsets];
        return bytes;
    }

    /// <summary>One fuzzed stream; deterministic for a given seed so a failure can be replayed.</summary>
    internal static byte[] Mutate(int seed) => Mutate(Valid, HeaderOffsets, seed);

    /// <summary>
    /// A mutation of <paramref name="valid"/>, whose frame headers are at <paramref name="headerOffsets"/>
    /// (CurveHostileFuzzTests mutates CURVE streams with it); deterministic for a given seed.
    /// </summary>
    internal static byte[] Mutate(byte[] valid, int[] headerOffsets, int seed)
    {
        var random = new Random(seed);
        var kind = random.Next(9);
        var data = new List<byte>(valid);
        switch (kind)
        {
            case 0:
                FlipBits(random, data);
                break;
            case 1:
                Truncate(random, data);
                break;
            case 2:
                Insert(random, data);
                break;
            case 3:
            case 4:
                RandomLength(random, data, headerOffsets);
                break;
            case 5:
                var junk = new byte[random.Next(0, 300)];
                random.NextBytes(junk);
                if (junk.Length > 0 && random.Next(2) == 0)
                {
                    junk[0] = 0xFF;
                }

                data = [.. junk];
                break;
            case 6:
                for (var i = random.Next(1, 4); i > 0; i--)
                {
                    data[random.Next(data.Count)] = (byte)random.Next(256);
                }

                break;
            case 7:
                var start = random.Next(data.Count);
                var length = random.Next(1, Math.Min(64, data.Count - start) + 1);
                data.InsertRange(random.Next(data.Count), data.GetRange(start, length));
                break;
            default:
                RandomLength(random, data, headerOffsets);
                FlipBits(random, data);
                if (random.Next(2) == 0)
                {
                    Truncate(random, data);
                }

                break;
        }

        return [.. data];
    }

    private static void FlipBits(Random random, List<byte> data)
    {
        for (var i = random.Next(1, 9); i > 0; i--)
        {
            var at = random.Next(data.Count);
            data[at] ^= (byte)(1 << random.Next(8));
        }
    }

    private static void Truncate(Random random, List<byte> data)
    {
        var cut = random.Next(data.Count);
        data.RemoveRange(cut, data.Count - cut);
    }

    private static void Insert(Random random, List<byte> data)
    {
        var bytes = new byte[random.Next(1, 33)];
        random.NextBytes(bytes);
        data.InsertRange(random.Next(data.Count + 1), bytes);
    }

    private static void RandomLength(Random random, List<byte> data, int[] headerOffsets)
    {
        var header = headerOffsets[random.Next(headerOffsets.Length)];
        if (random.Next(3) == 0)
        {
            // Turn a short header into a long one with a size anywhere from tiny to absurd.
            data[header] |= 0x02;
        }

        if ((data[header] & 0x02) == 0)
        {
            data[header + 1] = (byte)random.Next(256);
            return;
        }

        ulong size = random.Next(4) switch
        {
            0 => (ulong)random.Next(0, 600),
            1 => (ulong)random.Next(0, 300_000),
            2 => (ulong)random.NextInt64(),
            _ => ulong.MaxValue - (ulong)random.Next(1000),
        };
        for (var i = 0; i < 8; i++)
        {
            var at = header + 1 + i;
            var value = (byte)(size >> (56 - (8 * i)));
            if (at < data.Count)
            {
                data[at] = value;
            }
        }
    }

    [Fact]
    public async Task ThousandsOfMutatedStreams_NeitherCrashNorHangThePullSocket()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var options = TestUtil.Quick with
        {
            HandshakeInterval = TimeSpan.FromSeconds(1),
            MaxMessageSize = 256 * 1024,
            ReceiveHighWatermark = 0,
        };
        await using var pull = new PullSocket(options, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var good = new PushSocket(TestUtil.Quick, context);
        good.Connect(endpoint);

        // Drain everything; remember the good peer's sequence numbers.
        using var stop = new CancellationTokenSource();
        var goods = new ConcurrentQueue<int>();
        var fuzzMessages = 0;
        var goodsArrived = new SemaphoreSlim(0);
        var receiver = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var message = await pull.ReceiveAsync(stop.Token);
                    if (message.Count == 2 && message[0].ToString() == "good")
                    {
                        goods.Enqueue(int.Parse(message[1].ToString()));
                        goodsArrived.Release();
                    }
                    else
                    {
                        Interlocked.Increment(ref fuzzMessages);
                    }

                    message.Dispose();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var sent = 0;
        async Task SendGood()
        {
            await good.SendOrFail(new Message("good", sent.ToString()));
            sent++;
        }

        await SendGood();
        Assert.True(await goodsArrived.WaitAsync(TestUtil.Timeout), "the good peer did not get through before the fuzzing");

        var clock = Stopwatch.StartNew();
        var hung = new ConcurrentBag<int>();
        for (var batch = 0; batch < Streams; batch += Concurrency)
        {
            var tasks = new Task[Math.Min(Concurrency, Streams - batch)];
            for (var i = 0; i < tasks.Length; i++)
            {
                var seed = batch + i;
                tasks[i] = FeedAsync(endpoint, Mutate(seed), seed, hung);
            }

            await Task.WhenAll(tasks);
            Assert.True(hung.IsEmpty, $"streams never closed by the socket (replay with Mutate(seed)): {string.Join(", ", hung)}");
            await SendGood();
        }

        output.WriteLine($"{Streams} streams in {clock.Elapsed.TotalSeconds:F1} s");

        // Afterwards: a valid raw stream, the old good peer and a new one all still get through.
        using (var raw = await RawPeer.ConnectAsync(endpoint))
        {
            await raw.HandshakeAsync("PUSH");
            await raw.SendAsync(RawZmtp.Message("good", "-1"));
            Assert.True(await goodsArrived.WaitAsync(TestUtil.Timeout), "a valid raw peer did not get through after the fuzzing");
        }

        await using (var fresh = new PushSocket(TestUtil.Quick, context))
        {
            fresh.Connect(endpoint);
            await fresh.SendOrFail(new Message("good", "-2"));
            Assert.True(await goodsArrived.WaitAsync(TestUtil.Timeout), "a new peer did not get through after the fuzzing");
        }

        await SendGood();
        while (goods.Count < sent + 2)
        {
            Assert.True(await goodsArrived.WaitAsync(TestUtil.Timeout), $"only {goods.Count} of {sent + 2} good messages arrived; missing {string.Join(", ", Enumerable.Range(-2, sent + 2).Except(goods))}");
        }

        stop.Cancel();
        await receiver;

        // Every message of the long-lived good peer arrived, in order, none lost.
        var fromGoodPeer = goods.Where(g => g >= 0).ToList();
        Assert.Equal(Enumerable.Range(0, sent), fromGoodPeer);

        var drops = logs.Drops.Count;
        output.WriteLine($"{drops} peers dropped, {fuzzMessages} fuzz messages delivered, {logs.Entries.Count} log entries");
        Assert.True(drops > Streams / 4, $"only {drops} drops logged");
        Assert.DoesNotContain(logs.Entries, e => e.EventId == 5);
    }

    internal static async Task FeedAsync(string endpoint, byte[] stream, int seed, ConcurrentBag<int> hung)
    {
        using var raw = await RawPeer.ConnectAsync(endpoint);
        try
        {
            await raw.SendAsync(stream);
            raw.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The socket already dropped us (a reset while we were still writing): fine.
        }

        if (!await raw.WaitClosedAsync(TimeSpan.FromSeconds(15)))
        {
            hung.Add(seed);
        }
    }

    [Fact]
    public void Mutations_AreVariedAndMostlyInvalid()
    {
        var distinct = new HashSet<string>();
        for (var seed = 0; seed < 1000; seed++)
        {
            distinct.Add(Convert.ToHexString(Mutate(seed)));
        }

        Assert.True(distinct.Count > 900, $"only {distinct.Count} distinct streams of 1000");
    }
}
