using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public class StringTests
{
    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Strings_RoundTrip_AsOneFrameAndAsMultipart(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);

        await push.SendStringAsync("héllo wörld ✓", cancel.Token);
        Assert.Equal("héllo wörld ✓", await pull.ReceiveStringAsync(cancel.Token));

        push.SendString("");
        Assert.Equal("", pull.ReceiveString());

        await push.SendStringsAsync(["topic", "", "payload ✓"], cancel.Token);
        Assert.Equal(["topic", "", "payload ✓"], await pull.ReceiveStringsAsync(cancel.Token));

        push.SendStrings("a", "b");
        Assert.Equal(["a", "b"], pull.ReceiveStrings());

        Assert.False(pull.TryReceiveString(out var none, TimeSpan.FromMilliseconds(20)));
        Assert.Null(none);
        Assert.True(push.TrySendString("within", TestUtil.Timeout));
        Assert.True(pull.TryReceiveString(out var within, TestUtil.Timeout));
        Assert.Equal("within", within);

        // A long string goes past a message's own store into rented buffers.
        var longText = new string('é', 10_000);
        await push.SendStringAsync(longText, cancel.Token);
        Assert.Equal(longText, await pull.ReceiveStringAsync(cancel.Token));

        // Each frame is the UTF-8 bytes, as a libzmq peer would see them.
        await push.SendStringAsync("ü", cancel.Token);
        using var raw = await pull.ReceiveOrFail();
        Assert.Equal("ü"u8.ToArray(), raw.GetSpan(0).ToArray());
    }

    [Fact]
    public async Task ReceiveString_RefusesAMultipartMessage_AndDiscardsIt()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);

        await push.SendStringsAsync(["one", "two"]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await pull.ReceiveStringAsync());
        Assert.Contains("had 2 frames", e.Message);

        push.SendStrings("three", "four");
        Assert.Throws<InvalidDataException>(() => pull.ReceiveString());

        // Nothing is left over from the refused messages.
        await push.SendStringAsync("next");
        Assert.Equal("next", await pull.ReceiveStringAsync());
    }

    [Fact]
    public async Task SendStrings_RefusesNoFrames_AndSocketsThatCannotSend()
    {
        using var context = new Context();
        await using var push = new PushSocket(TestUtil.Quick, context);
        await using var pull = new PullSocket(TestUtil.Quick, context);
        Assert.Throws<ArgumentException>(() => push.SendStrings());
        Assert.Throws<ArgumentNullException>(() => push.SendStrings("a", null!));
        Assert.Throws<NotSupportedException>(() => pull.SendString("x"));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await push.ReceiveStringAsync());
    }

    [Fact]
    public async Task SendStringAsync_AtHwm_WaitsAndCanBeCancelled_WithoutLosingLaterMessages()
    {
        using var context = new Context();
        await using var push = new PushSocket(new SocketOptions { SendHighWatermark = 1, Linger = TimeSpan.Zero }, context);
        await using var pull = new PullSocket(new SocketOptions { ReceiveHighWatermark = 1, Linger = TimeSpan.Zero }, context);
        pull.Bind("inproc://strings-hwm");
        push.Connect("inproc://strings-hwm");

        // Fill the pipe until a send must wait, then cancel that one.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var sent = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            while (true)
            {
                await push.SendStringAsync($"m{sent}", cancel.Token);
                sent++;
            }
        });

        Assert.True(sent >= 1);
        for (var i = 0; i < sent; i++)
        {
            Assert.Equal($"m{i}", await pull.ReceiveStringAsync());
        }

        Assert.Null(await pull.TryReceiveAsync(TimeSpan.FromMilliseconds(20)));
    }
}
