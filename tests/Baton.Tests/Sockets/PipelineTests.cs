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
