using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Tests.Wire;

/// <summary>
/// The socket fuzz test (<see cref="FuzzTests"/>) against a CURVE server: mutated greetings and HELLOs,
/// mutated INITIATEs and MESSAGEs after a valid WELCOME, and mutated MESSAGE boxes after a valid handshake.
/// No stream may hang or crash the socket, the bad ones are dropped with a logged reason, and a legitimate
/// CURVE client keeps getting through, every message in order.
/// </summary>
public class CurveHostileFuzzTests(ITestOutputHelper output)
{
    private const int Streams = 6000;
    private const int Concurrency = 32;

    /// <summary>The offsets of the frame headers in <paramref name="bytes"/> from <paramref name="start"/>.</summary>
    private static int[] FrameOffsets(byte[] bytes, int start)
    {
        var offsets = new List<int>();
        var at = start;
        while (at < bytes.Length)
        {
            offsets.Add(at);
            var isLong = (bytes[at] & 0x02) != 0;
            var size = isLong ? (int)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(at + 1)) : bytes[at + 1];
            at += (isLong ? 9 : 2) + size;
        }

        return [.. offsets];
    }

    /// <summary>
    /// One fuzzed CURVE connection, deterministic in its mutation for a seed: mode 0 mutates the greeting and
    /// HELLO; mode 1 does a valid HELLO and mutates the INITIATE and MESSAGEs; mode 2 does a valid handshake and
    /// mutates the MESSAGEs (boxes, nonces, lengths, a boxed PING and SUBSCRIBE among them).
    /// </summary>
    private static async Task FeedAsync(CurveHostileTests.Server server, int seed, ConcurrentBag<int> hung)
    {
        using var client = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        try
        {
            byte[] stream;
            switch (seed % 3)
            {
                case 0:
                {
                    byte[] valid = [.. RawZmtp.Greeting(minor: 0, mechanism: "CURVE"), .. CurveRawClient.CommandFrame(client.HelloBody())];
                    stream = FuzzTests.Mutate(valid, FrameOffsets(valid, RawZmtp.GreetingSize), seed);
                    break;
                }

                case 1:
                {
                    await client.GreetToWelcomeAsync();
                    byte[] valid = [.. CurveRawClient.CommandFrame(client.InitiateBody("PUSH")), .. client.MessageFrames("fuzz", "a")];
                    stream = FuzzTests.Mutate(valid, FrameOffsets(valid, 0), seed);
                    break;
                }

                default:
                {
                    await client.HandshakeAsync("PUSH");
                    byte[] valid =
                    [
                        .. client.MessageFrames("fuzz", "a"),
                        .. client.CommandInMessage("PING", [0, 0], "ctx"u8.ToArray()),
                        .. client.MessageFrame(CurveRawClient.More, new byte[300]),
                        .. client.MessageFrame(0, [1, 2, 3]),
                        .. client.CommandInMessage("SUBSCRIBE", "x"u8.ToArray()),
                        .. client.MessageFrames("fuzz-end"),
                    ];
                    stream = FuzzTests.Mutate(valid, FrameOffsets(valid, 0), seed);
                    break;
                }
            }

            await client.Peer.SendAsync(stream);
            client.Peer.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or EndOfStreamException or InvalidDataException)
        {
            // Dropped on the way (a reset while writing, or a close before WELCOME or READY): fine.
        }

        if (!await client.Peer.WaitClosedAsync(TimeSpan.FromSeconds(15)))
        {
            hung.Add(seed);
        }
    }

    [Fact]
    public async Task ThousandsOfMutatedCurveStreams_NeitherCrashNorHangTheCurveServer()
    {
        await using var server = await CurveHostileTests.Server.StartAsync(handshakeInterval: TimeSpan.FromSeconds(2));

        // Messages of the fuzzed streams may get through (a mutation can leave a stream valid): the receiver sets them apart.
        using var stop = new CancellationTokenSource();
        var goods = new ConcurrentQueue<int>();
        var goodsArrived = new SemaphoreSlim(0);
        var fuzzMessages = 0;
        var receiver = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    using var message = await server.Pull.ReceiveAsync(stop.Token);
                    if (message.Count == 2 && message[0].ToString() == "good")
                    {
                        goods.Enqueue(int.Parse(message[1].ToString()));
                        goodsArrived.Release();
                    }
                    else
                    {
                        Interlocked.Increment(ref fuzzMessages);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var sent = 0;
        async Task SendGood()
        {
            await server.Legit.SendOrFail(new Baton.Messages.Message("good", sent.ToString()));
            sent++;
            Assert.True(await goodsArrived.WaitAsync(TestUtil.Timeout), $"good message {sent - 1} did not arrive");
        }

        var clock = Stopwatch.StartNew();
        var hung = new ConcurrentBag<int>();
        for (var batch = 0; batch < Streams; batch += Concurrency)
        {
            var tasks = new Task[Math.Min(Concurrency, Streams - batch)];
            for (var i = 0; i < tasks.Length; i++)
            {
                tasks[i] = FeedAsync(server, batch + i, hung);
            }

            await Task.WhenAll(tasks);
            Assert.True(hung.IsEmpty, $"CURVE streams never closed by the socket (replay with the seed): {string.Join(", ", hung)}");
            await SendGood();
        }

        output.WriteLine($"{Streams} CURVE streams in {clock.Elapsed.TotalSeconds:F1} s");

        // Afterwards: a clean raw CURVE client and the legitimate client still get through.
        using (var raw = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic))
        {
            await raw.HandshakeAsync("PUSH");
            await raw.SendAsync(raw.MessageFrames("good", "-1"));
            Assert.True(await goodsArrived.WaitAsync(TestUtil.Timeout), "a clean CURVE client did not get through after the fuzzing");
        }

        await SendGood();
        stop.Cancel();
        await receiver;
        Assert.Equal(Enumerable.Range(0, sent), goods.Where(g => g >= 0));

        var drops = server.Logs.Drops.Count;
        output.WriteLine($"{drops} peers dropped, {fuzzMessages} fuzz messages delivered, {server.Logs.Entries.Count} log entries");
        Assert.True(drops > Streams / 4, $"only {drops} drops logged");
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 5);
    }
}
