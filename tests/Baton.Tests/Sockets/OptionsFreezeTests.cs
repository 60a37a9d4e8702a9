using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class OptionsFreezeTests
{
    [Theory]
    [InlineData("inproc", true)]
    [InlineData("inproc", false)]
    [InlineData("tcp", true)]
    [InlineData("tcp", false)]
    public async Task Options_CanBeSetBeforeTheFirstBindOrConnect_AndNotAfter(string transport, bool bind)
    {
        using var context = new Context();
        await using var peer = new PullSocket(TestUtil.Quick, context);
        var endpoint = peer.Bind(TestUtil.Endpoint(transport));
        await using var socket = new PushSocket(context: context);
        socket.Options = new SocketOptions { SendHighWatermark = 7, Linger = TimeSpan.Zero };
        Assert.Equal(7, socket.Options.SendHighWatermark);
        if (bind)
        {
            socket.Bind(TestUtil.Endpoint(transport));
        }
        else
        {
            socket.Connect(endpoint);
        }

        var e = Assert.Throws<InvalidOperationException>(() => socket.Options = new SocketOptions { SendHighWatermark = 9 });
        Assert.Contains("once it has bound or connected", e.Message);
        Assert.Equal(7, socket.Options.SendHighWatermark);
    }

    [Fact]
    public async Task CanSendAndCanReceive_TellWhatTheTypeDoes()
    {
        using var context = new Context();
        foreach (var type in Enum.GetValues<ZmqSocketType>())
        {
            await using var socket = context.CreateSocket(type, TestUtil.Quick);
            var sends = type is not (ZmqSocketType.Pull or ZmqSocketType.Sub);
            var receives = type is not (ZmqSocketType.Push or ZmqSocketType.Pub);
            Assert.Equal(sends, socket.CanSend);
            Assert.Equal(receives, socket.CanReceive);
        }
    }
}
