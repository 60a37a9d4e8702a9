using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>The bound on queued commands drops peers that do not read, not sockets with many subscriptions.</summary>
public class CommandQueueTests
{
    [Fact]
    public async Task ManySubscriptions_SentAtOnceOnConnecting_AllArrive()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var pub = new PubSocket(TestUtil.Quick, context);
        await using var sub = new SubSocket(TestUtil.Quick, context);
        for (var i = 0; i < 30_000; i++)
        {
            sub.Subscribe($"topic-{i:D5}");
        }

        // Connecting resends every subscription in one burst, before the write loop has sent any.
        sub.Connect(pub.Bind("tcp://127.0.0.1:0"));
        using var last = await TestUtil.SendUntilReceived(pub, sub, () => new Message("topic-29999", "x"));
        await pub.SendOrFail(new Message("topic-00000", "first"));
        using var message = await TestUtil.ReceiveSkipping(sub, "x");

        Assert.Equal(["topic-00000", "first"], message.ToStrings());
        Assert.Empty(logs.Drops);
    }
}
