using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>Bad endpoints and options fail at the call with a specific exception.</summary>
public class InvalidUsageTests
{
    [Theory]
    [InlineData("foo://x")]
    [InlineData("tcp://nohost")]
    [InlineData("tcp://127.0.0.1:99999")]
    [InlineData("tcp://127.0.0.1:-1")]
    [InlineData("tcp://:5555")]
    [InlineData("127.0.0.1:5555")]
    [InlineData("tcp://")]
    [InlineData("pgm://eth0;239.192.1.1:5555")]
    public async Task InvalidEndpoint_ThrowsOnBindAndConnect(string endpoint)
    {
        using var context = new Context();
        await using var socket = new PullSocket(TestUtil.Quick, context);
        var bind = Assert.Throws<InvalidEndpointException>(() => socket.Bind(endpoint));
        Assert.Equal(endpoint, bind.Endpoint);
        var connect = Assert.Throws<InvalidEndpointException>(() => socket.Connect(endpoint));
        Assert.Equal(endpoint, connect.Endpoint);
    }

    [Fact]
    public async Task ConnectToPortZero_Throws()
    {
        using var context = new Context();
        await using var socket = new PushSocket(TestUtil.Quick, context);
        Assert.Throws<InvalidEndpointException>(() => socket.Connect("tcp://127.0.0.1:0"));
    }

    [Fact]
    public async Task BindingATcpPortInUse_ThrowsEndpointInUse()
    {
        using var context = new Context();
        await using var first = new PullSocket(TestUtil.Quick, context);
        await using var second = new PullSocket(TestUtil.Quick, context);
        var endpoint = first.Bind("tcp://127.0.0.1:0");
        var error = Assert.Throws<EndpointInUseException>(() => second.Bind(endpoint));
        Assert.Equal(endpoint, error.Endpoint);

        // The failed bind left the first socket working.
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        await push.SendOrFail(new Baton.Messages.Message("still bound"));
        Assert.Equal("still bound", (await first.ReceiveOrFail())[0].ToString());
    }

    [Fact]
    public async Task BindingAnInprocNameInUse_ThrowsEndpointInUse()
    {
        using var context = new Context();
        await using var first = new PullSocket(TestUtil.Quick, context);
        await using var second = new PullSocket(TestUtil.Quick, context);
        var endpoint = TestUtil.Endpoint("inproc");
        first.Bind(endpoint);
        Assert.Throws<EndpointInUseException>(() => second.Bind(endpoint));
    }

    [Fact]
    public async Task InprocPushConnectingToSub_ThrowsIncompatibleSocketType()
    {
        using var context = new Context();
        await using var sub = new SubSocket(TestUtil.Quick, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        var endpoint = TestUtil.Endpoint("inproc");
        sub.Bind(endpoint);
        var error = Assert.Throws<IncompatibleSocketTypeException>(() => push.Connect(endpoint));
        Assert.Equal("PUSH", error.LocalType);
        Assert.Equal("SUB", error.PeerType);
    }

    [Fact]
    public void NegativeOrOutOfRangeOptions_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { SendHighWatermark = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { ReceiveHighWatermark = -5 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { Linger = TimeSpan.FromSeconds(-2) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { HandshakeInterval = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { HeartbeatInterval = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { HeartbeatTtl = TimeSpan.FromSeconds(7000) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { MaxMessageSize = -2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { MaxFramesPerMessage = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SocketOptions { MaxFramesPerMessage = -2 });
        Assert.Throws<ArgumentException>(() => new SocketOptions { Identity = [] });
        Assert.Throws<ArgumentException>(() => new SocketOptions { Identity = [0, 1] });
        Assert.Throws<ArgumentException>(() => new SocketOptions { Identity = new byte[256] });

        // The boundaries themselves are fine.
        var ok = new SocketOptions { SendHighWatermark = 0, Linger = Timeout.InfiniteTimeSpan, MaxMessageSize = -1, MaxFramesPerMessage = -1, Identity = [1] };
        Assert.Equal(0, ok.SendHighWatermark);
    }

    [Fact]
    public async Task ClosedSocket_ThrowsObjectDisposed()
    {
        using var context = new Context();
        var push = new PushSocket(TestUtil.Quick, context);
        await push.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => push.Bind("tcp://127.0.0.1:0"));
        Assert.Throws<ObjectDisposedException>(() => push.Connect("tcp://127.0.0.1:5555"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await push.SendAsync(new Baton.Messages.Message("x")));
    }
}
