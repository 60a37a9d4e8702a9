using System.Net;
using System.Net.Sockets;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class PeerAddressTests
{
    [Fact]
    public async Task TcpEvents_CarryThePeersAddress_OnBothSides()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var pullEvents = pull.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        Assert.Null((await pullEvents.NextEventAsync()).PeerAddress);

        var push = new PushSocket(TestUtil.Quick, context);
        var pushEvents = push.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        push.Connect(endpoint);

        // The connecting side sees the address it reached; the binding side the peer's own port.
        var connected = await pushEvents.NextEventAsync(e => e.Kind == SocketEventKind.HandshakeSucceeded);
        Assert.Equal(endpoint, connected.PeerAddress);

        var accepted = await pullEvents.NextEventAsync();
        Assert.Equal(SocketEventKind.Accepted, accepted.Kind);
        Assert.StartsWith("tcp://127.0.0.1:", accepted.PeerAddress);
        Assert.NotEqual(endpoint, accepted.PeerAddress);
        Assert.Equal(endpoint, accepted.Endpoint);
        var handshake = await pullEvents.NextEventAsync();
        Assert.Equal(SocketEventKind.HandshakeSucceeded, handshake.Kind);
        Assert.Equal(accepted.PeerAddress, handshake.PeerAddress);

        await push.DisposeAsync();
        var gone = await pullEvents.NextEventAsync();
        Assert.Equal(SocketEventKind.Disconnected, gone.Kind);
        Assert.Equal(accepted.PeerAddress, gone.PeerAddress);

        // A peer that breaks the protocol is named by its address too.
        var port = int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..]);
        using var raw = new Socket(AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, ProtocolType.Tcp);
        await raw.ConnectAsync(IPAddress.Loopback, port);
        await raw.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var rawAddress = $"tcp://127.0.0.1:{((IPEndPoint)raw.LocalEndPoint!).Port}";
        Assert.Equal(rawAddress, (await pullEvents.NextEventAsync(e => e.Kind == SocketEventKind.Accepted)).PeerAddress);
        var dropped = await pullEvents.NextEventAsync(e => e.Kind == SocketEventKind.PeerDropped);
        Assert.Equal(rawAddress, dropped.PeerAddress);
    }

    [Fact]
    public async Task IpcEvents_CarryTheSocketPath()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var pullEvents = pull.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        var endpoint = pull.Bind(TestUtil.Endpoint("ipc"));
        var push = new PushSocket(TestUtil.Quick, context);
        var pushEvents = push.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        push.Connect(endpoint);

        Assert.Equal(endpoint, (await pushEvents.NextEventAsync(e => e.Kind == SocketEventKind.HandshakeSucceeded)).PeerAddress);
        Assert.Equal(endpoint, (await pullEvents.NextEventAsync(e => e.Kind == SocketEventKind.Accepted)).PeerAddress);
        Assert.Equal(endpoint, (await pullEvents.NextEventAsync(e => e.Kind == SocketEventKind.HandshakeSucceeded)).PeerAddress);
        await push.DisposeAsync();
        Assert.Equal(endpoint, (await pullEvents.NextEventAsync(e => e.Kind == SocketEventKind.Disconnected)).PeerAddress);
    }

    [Fact]
    public async Task InprocEvents_HaveNoPeerAddress()
    {
        using var context = new Context();
        await using var pub = new PubSocket(TestUtil.Quick, context);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var events = pub.MonitorAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        pub.Bind("inproc://peer-address");
        await using var push = new PushSocket(TestUtil.Quick, context);
        Assert.Throws<IncompatibleSocketTypeException>(() => push.Connect("inproc://peer-address"));
        var listening = await events.NextEventAsync();
        Assert.Null(listening.PeerAddress);
    }
}
