using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>MaxFramesPerMessage: the default refuses endless messages, -1 lifts the limit, a low limit applies exactly.</summary>
public class FrameLimitTests
{
    private static byte[] Frames(int count)
        => [.. Enumerable.Repeat(new byte[] { 0x01, 0 }, count - 1).SelectMany(b => b), 0x00, 1, (byte)'z'];

    [Fact]
    public async Task WithoutALimit_AMessageOfManyFramesArrives()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick with { MaxFramesPerMessage = -1 }, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");
        await raw.SendAsync(Frames(70_000));
        using var message = await pull.ReceiveOrFail();
        Assert.Equal(70_000, message.Count);
        Assert.Equal("z", message.Last.ToString());
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(11, false)]
    public async Task ALowLimit_AppliesExactly(int frames, bool arrives)
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var pull = new PullSocket(TestUtil.Quick with { MaxFramesPerMessage = 10 }, context);
        using var raw = await RawPeer.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        await raw.HandshakeAsync("PUSH");
        await raw.SendAsync(Frames(frames));
        if (arrives)
        {
            Assert.Equal(frames, (await pull.ReceiveOrFail()).Count);
        }
        else
        {
            await logs.WaitForDropAsync("maximum of 10 frames");
            Assert.True(await raw.WaitClosedAsync());
        }
    }
}
