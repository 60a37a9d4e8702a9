using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class PipelineTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    [InlineData("inproc")]
    public async Task PushPull_DeliversMultipartMessagesInOrder(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(context: context);
        await using var push = new PushSocket(context: context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        push.Connect(endpoint);
        for (var i = 0; i < 100; i++)
        {
            await push.SendOrFail(new Message($"part-{i}", "", "tail"));
        }

        for (var i = 0; i < 100; i++)
        {
            var message = await pull.ReceiveOrFail();
            Assert.Equal([$"part-{i}", "", "tail"], message.ToStrings());
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    [InlineData("inproc")]
    public async Task ReqRep_RoundTrips(string transport)
    {
        using var context = new Context();
        await using var rep = new RepSocket(context: context);
        await using var req = new ReqSocket(context: context);
        req.Connect(rep.Bind(TestUtil.Endpoint(transport)));
        for (var i = 0; i < 10; i++)
        {
            await req.SendOrFail(new Message("ping", i.ToString()));
            var request = await rep.ReceiveOrFail();
            Assert.Equal(["ping", i.ToString()], request.ToStrings());
            await rep.SendOrFail(new Message("pong", i.ToString()));
            var reply = await req.ReceiveOrFail();
            Assert.Equal(["pong", i.ToString()], reply.ToStrings());
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    [InlineData("inproc")]
    public async Task PubSub_FiltersByPrefix(string transport)
    {
        using var context = new Context();
        await using var pub = new PubSocket(context: context);
        await using var sub = new SubSocket(context: context);
        sub.Subscribe("weather");
        sub.Connect(pub.Bind(TestUtil.Endpoint(transport)));
        var first = await TestUtil.SendUntilReceived(pub, sub, () => new Message("weather", "sunny"));
        Assert.Equal("weather", first[0].ToString());
        await pub.SendOrFail(new Message("sports", "goal"));
        await pub.SendOrFail(new Message("weather", "rain"));
        var next = await sub.ReceiveOrFail();
        while (next[1].ToString() == "sunny")
        {
            next = await sub.ReceiveOrFail();
        }

        Assert.Equal(["weather", "rain"], next.ToStrings());
    }
}

public class InprocOrderTests
{
    [Fact]
    public async Task ConnectBeforeBind_QueuesUpToHwm_AndDeliversInOrderAtTheBind()
    {
        using var context = new Context();
        await using var push = new PushSocket(new SocketOptions { SendHighWatermark = 5, Linger = TimeSpan.Zero }, context);
        push.Connect("inproc://later");
        for (var i = 0; i < 5; i++)
        {
            Assert.True(push.TrySend(new Message($"early {i}"), TimeSpan.Zero));
        }

        Assert.False(push.TrySend(new Message("over the HWM"), TimeSpan.Zero));
        var late = push.SendAsync(new Message("waits for the bind")).AsTask();

        await using var pull = new PullSocket(context: context);
        pull.Bind("inproc://later");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"early {i}", (await pull.ReceiveOrFail())[0].ToString());
        }

        await late.WaitAsync(TestUtil.Timeout);
        Assert.Equal("waits for the bind", (await pull.ReceiveOrFail())[0].ToString());
    }

    [Fact]
    public async Task SubConnectedBeforeBind_GetsItsSubscriptionToThePublisher()
    {
        using var context = new Context();
        await using var sub = new SubSocket(context: context);
        sub.Subscribe("t");
        sub.Connect("inproc://pub-later");
        await using var pub = new PubSocket(context: context);
        pub.Bind("inproc://pub-later");
        await pub.WaitForSubscriberAsync(new CancellationTokenSource(TestUtil.Timeout).Token);
        await pub.SendOrFail(new Message("other"));
        await pub.SendOrFail(new Message("topic"));
        Assert.Equal("topic", (await sub.ReceiveOrFail())[0].ToString());
    }
}
