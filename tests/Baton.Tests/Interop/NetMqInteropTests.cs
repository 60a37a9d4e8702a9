using System.Text;
using Baton.Messages;
using Baton.Sockets;
using NetMQ;
using NetMQ.Sockets;
using Xunit;

namespace Baton.Tests.Interop;

/// <summary>
/// Baton against NetMQ 4 in the same process over tcp, both directions. NetMQ speaks ZMTP 3.0, so
/// subscriptions must travel as 0x01/0x00 messages, never as SUBSCRIBE/CANCEL commands.
/// </summary>
public sealed class NetMqInteropTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly Context _context = new();
    private readonly List<NetMQSocket> _netmq = [];

    private T NetMq<T>(T socket)
        where T : NetMQSocket
    {
        socket.Options.Linger = TimeSpan.Zero;
        _netmq.Add(socket);
        return socket;
    }

    public void Dispose()
    {
        foreach (var socket in _netmq)
        {
            socket.Dispose();
        }

        _context.Dispose();
        NetMQConfig.Cleanup(block: false);
    }

    private static string NetMqBind(NetMQSocket socket) => $"tcp://127.0.0.1:{socket.BindRandomPort("tcp://127.0.0.1")}";

    private static List<string> NetMqReceive(NetMQSocket socket)
    {
        NetMQMessage? message = null;
        Assert.True(socket.TryReceiveMultipartMessage(Wait, ref message), "NetMQ received nothing");
        return message!.Select(f => f.ConvertToString()).ToList();
    }

    private static byte[] NetMqReceiveBytes(NetMQSocket socket)
    {
        Assert.True(socket.TryReceiveFrameBytes(Wait, out var bytes), "NetMQ received nothing");
        return bytes!;
    }

    private static byte[] Sub(byte kind, string topic) => [kind, .. Encoding.ASCII.GetBytes(topic)];

    [Fact]
    public async Task BatonPush_NetMqPull()
    {
        using var pull = NetMq(new NetMQ.Sockets.PullSocket());
        await using var push = new Baton.Sockets.PushSocket(TestUtil.Quick, _context);
        push.Connect(NetMqBind(pull));
        for (var i = 0; i < 50; i++)
        {
            await push.SendOrFail(new Message("part", i.ToString(), new string('x', i * 10)));
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(["part", i.ToString(), new string('x', i * 10)], NetMqReceive(pull));
        }
    }

    [Fact]
    public async Task NetMqPush_BatonPull()
    {
        await using var pull = new Baton.Sockets.PullSocket(TestUtil.Quick, _context);
        using var push = NetMq(new NetMQ.Sockets.PushSocket());
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        for (var i = 0; i < 50; i++)
        {
            push.SendMoreFrame("part").SendMoreFrame(i.ToString()).SendFrame(new string('y', i * 10));
        }

        for (var i = 0; i < 50; i++)
        {
            Assert.Equal(["part", i.ToString(), new string('y', i * 10)], (await pull.ReceiveOrFail()).ToStrings());
        }
    }

    [Fact]
    public async Task BatonReq_NetMqRep()
    {
        using var rep = NetMq(new ResponseSocket());
        await using var req = new Baton.Sockets.ReqSocket(TestUtil.Quick, _context);
        req.Connect(NetMqBind(rep));
        for (var i = 0; i < 5; i++)
        {
            await req.SendOrFail(new Message("ping", i.ToString()));
            Assert.Equal(["ping", i.ToString()], NetMqReceive(rep));
            rep.SendMoreFrame("pong").SendFrame(i.ToString());
            Assert.Equal(["pong", i.ToString()], (await req.ReceiveOrFail()).ToStrings());
        }
    }

    [Fact]
    public async Task NetMqReq_BatonRep()
    {
        await using var rep = new Baton.Sockets.RepSocket(TestUtil.Quick, _context);
        using var req = NetMq(new RequestSocket());
        req.Connect(rep.Bind("tcp://127.0.0.1:0"));
        for (var i = 0; i < 5; i++)
        {
            req.SendMoreFrame("ping").SendFrame(i.ToString());
            Assert.Equal(["ping", i.ToString()], (await rep.ReceiveOrFail()).ToStrings());
            await rep.SendOrFail(new Message("pong", i.ToString()));
            Assert.Equal(["pong", i.ToString()], NetMqReceive(req));
        }
    }

    [Fact]
    public async Task BatonPub_FiltersForANetMqSub()
    {
        await using var pub = new Baton.Sockets.PubSocket(TestUtil.Quick, _context);
        using var sub = NetMq(new SubscriberSocket());
        sub.Subscribe("weather");
        sub.Connect(pub.Bind("tcp://127.0.0.1:0"));

        // Until the legacy subscription message arrives, the PUB sends nothing to this peer.
        List<string>? first = null;
        for (var attempt = 0; attempt < 200 && first is null; attempt++)
        {
            await pub.SendOrFail(new Message("sports", "goal"));
            await pub.SendOrFail(new Message("weather", "sunny"));
            NetMQMessage? message = null;
            if (sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref message))
            {
                first = message!.Select(f => f.ConvertToString()).ToList();
            }
        }

        Assert.Equal(["weather", "sunny"], first);
        await pub.SendOrFail(new Message("sports", "goal"));
        await pub.SendOrFail(new Message("weather", "rain"));
        var next = NetMqReceive(sub);
        while (next[1] == "sunny")
        {
            next = NetMqReceive(sub);
        }

        Assert.Equal(["weather", "rain"], next);
    }

    [Fact]
    public async Task BatonXPub_ReceivesNetMqSubscribeAndUnsubscribeBytes()
    {
        await using var xpub = new Baton.Sockets.XPubSocket(TestUtil.Quick, _context);
        using var sub = NetMq(new SubscriberSocket());
        sub.Connect(xpub.Bind("tcp://127.0.0.1:0"));
        sub.Subscribe("A");
        Assert.Equal(Sub(1, "A"), (await xpub.ReceiveOrFail())[0].ToArray());

        NetMQMessage? data = null;
        Assert.True(await TestUtil.SendUntilReceivedBy(xpub, () => new Message("A", "1"), () => sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(50), ref data)));
        Assert.Equal("A", data!.First.ConvertToString());
        sub.Unsubscribe("A");
        Assert.Equal(Sub(0, "A"), (await xpub.ReceiveOrFail())[0].ToArray());
    }

    [Fact]
    public async Task BatonSub_SubscribesToANetMqPub()
    {
        using var pub = NetMq(new PublisherSocket());
        await using var sub = new Baton.Sockets.SubSocket(TestUtil.Quick, _context);
        sub.Subscribe("weather");
        sub.Connect(NetMqBind(pub));
        var first = await ReceiveWhilePublishing(sub, () =>
        {
            pub.SendMoreFrame("sports").SendFrame("goal");
            pub.SendMoreFrame("weather").SendFrame("sunny");
        });
        Assert.Equal(["weather", "sunny"], first.ToStrings());

        // Switch topics: the cancel and the new subscription must both reach NetMQ in the 3.0 form.
        sub.Unsubscribe("weather");
        sub.Subscribe("sports");
        var next = await ReceiveWhilePublishing(sub, () =>
        {
            pub.SendMoreFrame("weather").SendFrame("late");
            pub.SendMoreFrame("sports").SendFrame("goal");
        }, skip: m => m[0].ToString() == "weather" && m[1].ToString() == "sunny");
        Assert.Equal(["sports", "goal"], next.ToStrings());
    }

    [Fact]
    public async Task BatonXSub_NetMqXPub_SubscriptionBytesAndData()
    {
        using var xpub = NetMq(new XPublisherSocket());
        await using var xsub = new Baton.Sockets.XSubSocket(TestUtil.Quick, _context);
        xsub.Connect(NetMqBind(xpub));
        await xsub.SendOrFail(new Message(new Frame(Sub(1, "B"))));
        Assert.Equal(Sub(1, "B"), NetMqReceiveBytes(xpub));
        var data = await ReceiveWhilePublishing(xsub, () => xpub.SendMoreFrame("B").SendFrame("data"));
        Assert.Equal(["B", "data"], data.ToStrings());
        await xsub.SendOrFail(new Message(new Frame(Sub(0, "B"))));
        Assert.Equal(Sub(0, "B"), NetMqReceiveBytes(xpub));
    }

    [Fact]
    public async Task NetMqXSub_BatonXPub_SubscriptionBytesAndData()
    {
        await using var xpub = new Baton.Sockets.XPubSocket(TestUtil.Quick, _context);
        using var xsub = NetMq(new XSubscriberSocket());
        xsub.Connect(xpub.Bind("tcp://127.0.0.1:0"));
        xsub.SendFrame(Sub(1, "C"));
        Assert.Equal(Sub(1, "C"), (await xpub.ReceiveOrFail())[0].ToArray());
        await xpub.SendOrFail(new Message("D", "filtered out"));
        await xpub.SendOrFail(new Message("C", "data"));
        Assert.Equal(["C", "data"], NetMqReceive(xsub));
        xsub.SendFrame(Sub(0, "C"));
        Assert.Equal(Sub(0, "C"), (await xpub.ReceiveOrFail())[0].ToArray());
    }

    /// <summary>Publishes until the Baton subscriber receives a message that <paramref name="skip"/> does not reject.</summary>
    private static async Task<Message> ReceiveWhilePublishing(ZmqSocket receiver, Action publish, Func<Message, bool>? skip = null)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            publish();
            while (receiver.TryReceive(out var message, TimeSpan.FromMilliseconds(50)))
            {
                if (skip is null || !skip(message))
                {
                    return message;
                }
            }

            await Task.Yield();
        }

        throw new TimeoutException("the Baton subscriber received nothing");
    }
}
