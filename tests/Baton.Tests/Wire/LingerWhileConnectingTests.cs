using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>Closing a socket whose tcp connection is still being made keeps its queued messages within the linger time.</summary>
public class LingerWhileConnectingTests
{
    [Fact]
    public async Task DisposeRightAfterConnectAndSend_StillDeliversWithinLinger()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        for (var i = 0; i < 5; i++)
        {
            await using (var push = new PushSocket(TestUtil.Quick, context))
            {
                push.Connect(endpoint);
                await push.SendOrFail(new Message("queued", i.ToString()));
            }

            Assert.Equal(["queued", i.ToString()], (await pull.ReceiveOrFail()).ToStrings());
        }
    }

    [Fact]
    public async Task DisposeWithZeroLinger_DoesNotWaitForAConnection()
    {
        using var context = new Context();
        var (listener, endpoint) = RawPeer.Listen();
        using var _ = listener;
        var push = new PushSocket(TestUtil.Quick with { Linger = TimeSpan.Zero }, context);
        push.Connect(endpoint);
        await push.SendOrFail(new Message("dropped"));
        await push.DisposeAsync().AsTask().WaitAsync(TestUtil.Timeout);
    }
}
