using System.Net.Sockets;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class MonitorTests
{
    [Fact]
    public async Task Monitor_ReportsBindsPeersAndDropsWithTheirReason()
    {
        using var context = new Context();
        var pull = new PullSocket(context: context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = pull.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        Assert.Equal(new SocketEvent(SocketEventKind.Listening, endpoint), await events.NextEventAsync());

        await using (var push = new PushSocket(context: context))
        {
            push.Connect(endpoint);
            Assert.Equal(SocketEventKind.Accepted, (await events.NextEventAsync()).Kind);
            Assert.Equal(SocketEventKind.HandshakeSucceeded, (await events.NextEventAsync()).Kind);
        }

        Assert.Equal(SocketEventKind.Disconnected, (await events.NextEventAsync()).Kind);

        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);
        using (var raw = new System.Net.Sockets.Socket(AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, ProtocolType.Tcp))
        {
            await raw.ConnectAsync(System.Net.IPAddress.Loopback, port);
            await raw.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
            Assert.Equal(SocketEventKind.Accepted, (await events.NextEventAsync()).Kind);
            var dropped = await events.NextEventAsync();
            Assert.Equal(SocketEventKind.PeerDropped, dropped.Kind);
            Assert.Contains("not a ZMTP greeting", dropped.Reason);
        }

        await pull.DisposeAsync();
        Assert.Equal(new SocketEvent(SocketEventKind.Closed, endpoint), await events.NextEventAsync());
        Assert.False(await events.MoveNextAsync());
    }

    [Fact]
    public async Task Monitor_ReportsConnectRetries()
    {
        using var context = new Context();
        await using var push = new PushSocket(new SocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(10), Linger = TimeSpan.Zero }, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = push.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        var retried = await events.NextEventAsync();
        Assert.Equal(SocketEventKind.ConnectRetried, retried.Kind);
        Assert.Equal("ConnectionRefused", retried.Reason);
    }

    [Fact]
    public async Task Reconnect_BacksOffExponentially_UpToTheMaximum()
    {
        using var context = new Context();
        var options = new SocketOptions
        {
            ReconnectInterval = TimeSpan.FromMilliseconds(10),
            ReconnectIntervalMax = TimeSpan.FromMilliseconds(80),
            Linger = TimeSpan.Zero,
        };
        await using var push = new PushSocket(options, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = push.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        push.Connect($"tcp://127.0.0.1:{TestUtil.FreeTcpPort()}");
        Assert.Equal(SocketEventKind.ConnectRetried, (await events.NextEventAsync()).Kind);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(SocketEventKind.ConnectRetried, (await events.NextEventAsync()).Kind);
        }

        // Waits of 10, 20, 40, 80, 80 ms lie between the six failures; a fixed interval would take 50.
        // Only a lower bound: a loaded machine may be slower, never faster.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(200), $"five retries took {clock.Elapsed.TotalMilliseconds} ms");
    }
}
