using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Tests.Wire;

/// <summary>
/// A flood of HELLO-only CURVE connections: the server stays responsive to its legitimate client (and to a
/// new one), keeps nothing per HELLO beyond the connection itself (a HELLO'd connection costs what one that
/// only greeted does), and releases every one when the handshake timeout drops it.
/// </summary>
[Collection(nameof(HostilePeerMemoryTests))]
public class CurveHostileFloodTests(ITestOutputHelper output)
{
    private const int Flood = 500;

    // Long enough to open and measure both floods before the first is dropped; short enough for a test.
    private static readonly TimeSpan HandshakeInterval = TimeSpan.FromSeconds(8);

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The legitimate client sends and the server receives, round after round, until stopped; counts the rounds.</summary>
    private static async Task<int> KeepTalkingAsync(CurveHostileTests.Server server, CancellationToken stop)
    {
        var rounds = 0;
        while (!stop.IsCancellationRequested)
        {
            await server.RoundTripAsync();
            rounds++;
        }

        return rounds;
    }

    /// <summary>Opens the connections; keeps only their sockets, so that the test's own keys and cookies do not blur the server's figures.</summary>
    private static async Task<List<RawPeer>> OpenAsync(CurveHostileTests.Server server, int count, bool hello)
    {
        var attackers = new List<RawPeer>();
        for (var batch = 0; batch < count; batch += 50)
        {
            var tasks = Enumerable.Range(0, Math.Min(50, count - batch)).Select(async _ =>
            {
                var attacker = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
                await attacker.GreetAsync();
                if (hello)
                {
                    await attacker.SendAsync(CurveRawClient.CommandFrame(attacker.HelloBody()));
                    await attacker.ReadWelcomeAsync();
                }

                return attacker.Peer;
            });
            attackers.AddRange(await Task.WhenAll(tasks));
        }

        return attackers;
    }

    [Fact]
    public async Task HelloFlood_KeepsNoStatePerHello_AndIsReleasedByTheHandshakeTimeout()
    {
        await using var server = await CurveHostileTests.Server.StartAsync(handshakeInterval: HandshakeInterval);
        for (var i = 0; i < 200; i++)
        {
            await server.RoundTripAsync();
        }

        using var stop = new CancellationTokenSource();
        var talking = KeepTalkingAsync(server, stop.Token);
        var before = Heap();

        // First greetings only, then as many connections that also sent a HELLO and got their WELCOME (and cookie).
        var clock = Stopwatch.StartNew();
        var greeted = await OpenAsync(server, Flood, hello: false);
        var afterGreetings = Heap();
        var helloed = await OpenAsync(server, Flood, hello: true);
        var afterHellos = Heap();
        output.WriteLine($"{Flood} greeted and {Flood} HELLO'd connections in {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < HandshakeInterval, "the floods took longer than the handshake timeout: the figures would mean nothing");
        stop.Cancel();
        var rounds = await talking;
        output.WriteLine($"{rounds} legitimate round trips during the flood");
        Assert.True(rounds > 10, $"only {rounds} legitimate round trips during the flood");

        // A new legitimate client gets in during the flood.
        var (_, freshSecret) = CurveRawClient.NewKeyPair();
        await using (var fresh = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(freshSecret, server.ServerPublic) }, server.Context))
        {
            fresh.Connect(server.Endpoint);
            await fresh.SendOrFail(new Message("fresh"));
            using var message = await server.Pull.ReceiveOrFail();
            Assert.Equal("fresh", message[0].ToString());
        }

        var perGreeting = (afterGreetings - before) / Flood;
        var perHello = (afterHellos - afterGreetings) / Flood;
        output.WriteLine($"per greeted connection: {perGreeting} B; per connection that also sent HELLO: {perHello} B");

        // A HELLO adds no state the greeting did not. The bound is the measurement's noise (300-500 B seen): it catches a
        // buffer or a table kept per HELLO, not a few fields.
        Assert.True(perHello < perGreeting + 1024, $"a HELLO'd connection costs {perHello} B, a greeted one {perGreeting} B");

        // Every one is dropped by the handshake timeout: the server closes it and says why.
        var all = greeted.Concat(helloed).ToList();
        var closed = await Task.WhenAll(all.Select(a => a.WaitClosedAsync(TimeSpan.FromSeconds(30))));
        Assert.All(closed, Assert.True);
        using (var deadline = new CancellationTokenSource(TestUtil.Timeout))
        {
            while (server.Logs.Drops.Count(d => d.Message.Contains("did not complete in time", StringComparison.Ordinal)) < 2 * Flood)
            {
                await Task.Delay(20, deadline.Token);
            }
        }

        foreach (var attacker in all)
        {
            attacker.Dispose();
        }

        await server.RoundTripAsync();
        var after = Heap();
        output.WriteLine($"heap: before {before / 1024} KB, greeted {afterGreetings / 1024} KB, HELLO'd {afterHellos / 1024} KB, after {after / 1024} KB");
        Assert.True(after - before < 4L << 20, $"{(after - before) / 1024} KB left behind after the flood was dropped");
    }
}
