using Baton.Sockets;
using Baton.Tests.Wire;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Baton.Tests.Sockets;

public class InvalidPairingLogTests
{
    private static readonly SocketOptions FastReconnect = new() { ReconnectInterval = TimeSpan.FromMilliseconds(10), Linger = TimeSpan.Zero };

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task InvalidPairing_WarnsOncePerPeer_ThenRepeatsAtDebug(string transport)
    {
        using var capture = new LogCapture();
        await using var context = capture.NewContext();
        await using var pub = new PubSocket(FastReconnect, context);
        var endpoint = pub.Bind(TestUtil.Endpoint(transport));
        await using var push = new PushSocket(FastReconnect, context);
        push.Connect(endpoint);

        // Both sides see the pairing fail at every reconnect: wait for several repeats on each.
        await WaitForRepeatsAsync(capture, "Baton.Sockets.PUSH", 3);
        await WaitForRepeatsAsync(capture, "Baton.Sockets.PUB", 3);

        foreach (var category in new[] { "Baton.Sockets.PUSH", "Baton.Sockets.PUB" })
        {
            var warnings = capture.Entries.Where(e => e.Category == category && e.Level >= LogLevel.Warning).ToList();
            var warning = Assert.Single(warnings);
            Assert.Equal(2, warning.EventId);
            Assert.Contains("invalid socket pairing", warning.Message);
            Assert.All(
                capture.Entries.Where(e => e.Category == category && e.EventId == 10),
                e => Assert.Equal(LogLevel.Debug, e.Level));
        }
    }

    [Fact]
    public async Task InvalidPairing_WarnsAgain_AfterASuccessfulHandshakeInBetween()
    {
        using var capture = new LogCapture();
        await using var context = capture.NewContext();
        var endpoint = TestUtil.Endpoint("ipc");
        await using var push = new PushSocket(FastReconnect, context);
        await using (var pub = new PubSocket(FastReconnect, context))
        {
            pub.Bind(endpoint);
            push.Connect(endpoint);
            await WaitForRepeatsAsync(capture, "Baton.Sockets.PUSH", 1);
        }

        // A compatible peer at the same endpoint: the handshake succeeds.
        await using (var pull = new PullSocket(FastReconnect, context))
        {
            pull.Bind(endpoint);
            await push.WaitForPeerAsync().WaitAsync(TestUtil.Timeout);
        }

        await using (var pub = new PubSocket(FastReconnect, context))
        {
            pub.Bind(endpoint);
            // Each entry is matched once (LogCapture), so the counter counts warnings.
            var warnings = 0;
            await capture.WaitForAsync(e => e.Category == "Baton.Sockets.PUSH" && e.EventId == 2 && ++warnings == 2);
            await WaitForRepeatsAsync(capture, "Baton.Sockets.PUSH", 2);
        }

        Assert.Equal(2, CountWarnings(capture));

        static int CountWarnings(LogCapture capture)
            => capture.Entries.Count(e => e.Category == "Baton.Sockets.PUSH" && e.EventId == 2);
    }

    private static Task WaitForRepeatsAsync(LogCapture capture, string category, int count)
    {
        // Each entry is matched once (LogCapture), so the counter counts the repeats logged so far.
        var seen = 0;
        return capture.WaitForAsync(e => e.Category == category && e.EventId == 10 && ++seen >= count);
    }
}
