using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class PubSubTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task XPub_SeesNewSubscriptionsAndLastUnsubscription(string transport)
    {
        using var context = new Context();
        await using var xpub = new XPubSocket(context: context);
        var endpoint = xpub.Bind(TestUtil.Endpoint(transport));
        await using var first = new SubSocket(context: context);
        await using var second = new SubSocket(context: context);
        first.Connect(endpoint);
        second.Connect(endpoint);
        first.Subscribe("news");
        Assert.Equal("\u0001news", (await xpub.ReceiveOrFail())[0].ToString());
        second.Subscribe("news");
        Assert.False(xpub.TryReceive(out _, TimeSpan.FromMilliseconds(100)));
        first.Unsubscribe("news");
        second.Unsubscribe("news");
        Assert.Equal("\u0000news", (await xpub.ReceiveOrFail())[0].ToString());
    }

    [Fact]
    public async Task XPub_Verbose_SeesEverySubscription()
    {
        using var context = new Context();
        await using var xpub = new XPubSocket(new SocketOptions { XPubVerbose = true }, context);
        xpub.Bind("inproc://verbose");
        await using var first = new SubSocket(context: context);
        await using var second = new SubSocket(context: context);
        first.Connect("inproc://verbose");
        second.Connect("inproc://verbose");
        first.Subscribe("a");
        second.Subscribe("a");
        Assert.Equal("\u0001a", (await xpub.ReceiveOrFail())[0].ToString());
        Assert.Equal("\u0001a", (await xpub.ReceiveOrFail())[0].ToString());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("inproc")]
    public async Task XSub_SubscribesBySending_AndXPubXSubProxyChainWorks(string transport)
    {
        using var context = new Context();
        await using var pub = new PubSocket(context: context);
        await using var xsub = new XSubSocket(context: context);
        await using var xpub = new XPubSocket(context: context);
        await using var sub = new SubSocket(context: context);
        xsub.Connect(pub.Bind(TestUtil.Endpoint(transport)));
        sub.Connect(xpub.Bind(TestUtil.Endpoint(transport)));
        sub.Subscribe("t");

        // Forward the subscription upstream by hand, as a proxy would.
        var subscription = await xpub.ReceiveOrFail();
        await xsub.SendOrFail(subscription);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        var forwarding = Task.Run(async () =>
        {
            await foreach (var message in xsub.ReceiveAllAsync(cancel.Token))
            {
                await xpub.SendAsync(message, cancel.Token);
            }
        });
        var received = await TestUtil.SendUntilReceived(pub, sub, () => new Message("topic", "data"));
        Assert.Equal(["topic", "data"], received.ToStrings());
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => forwarding);
    }

    [Fact]
    public async Task Sub_ResubscribesAfterPublisherRestarts()
    {
        using var context = new Context();
        var pub = new PubSocket(new SocketOptions { Linger = TimeSpan.Zero }, context);
        var endpoint = pub.Bind("tcp://127.0.0.1:0");
        await using var sub = new SubSocket(new SocketOptions { ReconnectInterval = TimeSpan.FromMilliseconds(20) }, context);
        sub.Subscribe("x");
        sub.Connect(endpoint);
        await TestUtil.SendUntilReceived(pub, sub, () => new Message("x1"));
        await pub.DisposeAsync();

        await using var restarted = new PubSocket(context: context);
        restarted.Bind(endpoint);
        var message = await TestUtil.SendUntilReceived(restarted, sub, () => new Message("x2"));
        Assert.Equal("x2", message[0].ToString());
    }

    [Fact]
    public async Task Pub_FansOutToTcpAndInprocSubscribersAtOnce()
    {
        using var context = new Context();
        await using var pub = new PubSocket(context: context);
        var tcp = pub.Bind("tcp://127.0.0.1:0");
        pub.Bind("inproc://mixed");
        var subscribers = new List<SubSocket>();
        foreach (var endpoint in new[] { tcp, "inproc://mixed", tcp, "inproc://mixed" })
        {
            var sub = new SubSocket(context: context);
            sub.Subscribe("m");
            sub.Connect(endpoint);
            subscribers.Add(sub);
        }

        // SubscriptionCount counts prefixes, not subscribers: publish until each of the four has
        // received something, and only then are all four subscriptions surely in.
        var ready = new bool[subscribers.Count];
        var deadline = DateTime.UtcNow + TestUtil.Timeout;
        while (Array.IndexOf(ready, false) >= 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "not every subscriber's subscription arrived");
            pub.Send(new Message("m", "warm"));
            for (var i = 0; i < subscribers.Count; i++)
            {
                if (!ready[i] && subscribers[i].TryReceive(out var warm, TimeSpan.FromMilliseconds(10)))
                {
                    warm.Dispose();
                    ready[i] = true;
                }
            }
        }

        // Each subscriber gets every message whole, however the fan-out shares or copies it.
        for (var i = 0; i < 100; i++)
        {
            await pub.SendOrFail(new Message("m", i.ToString()));
        }

        foreach (var sub in subscribers)
        {
            await using (sub)
            {
                var next = 0;
                while (next < 100)
                {
                    using var message = await sub.ReceiveOrFail();
                    if (message[1].ToString() != "warm")
                    {
                        Assert.Equal(["m", next.ToString()], message.ToStrings());
                        next++;
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Pub_DropsAtHighWatermark_InsteadOfBlocking()
    {
        using var context = new Context();
        await using var pub = new PubSocket(new SocketOptions { SendHighWatermark = 10 }, context);
        await using var sub = new SubSocket(new SocketOptions { ReceiveHighWatermark = 10 }, context);
        sub.Subscribe("");
        sub.Connect(pub.Bind("inproc://hwm"));
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(pub.TrySend(new Message(i.ToString()), TimeSpan.Zero));
        }

        var count = 0;
        while (sub.TryReceive(out _, TimeSpan.FromMilliseconds(100)))
        {
            count++;
        }

        Assert.Equal(20, count);
    }
}
