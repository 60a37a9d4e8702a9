using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>--format: recv prints any bytes without corrupting a terminal or losing them; send reads frames in the same form.</summary>
public sealed class CliFormatTests
{
    /// <summary>Bytes that are not UTF-8 and an escape sequence that would clear a terminal, UTF-8, a backslash and a tab, nothing.</summary>
    private static Message Awkward() => new(
        new Frame(new byte[] { 0x00, 0xff, 0x1b, (byte)'[', (byte)'2', (byte)'J' }),
        "hé",
        "\\\t",
        "");

    [Theory]
    [InlineData("text", "\\x00\\xff\\x1b[2J\thé\t\\\\\\t\t")]
    [InlineData("hex", "00ff1b5b324a\t68c3a9\t5c09\t")]
    [InlineData("base64", "AP8bWzJK\taMOp\tXAk=\t")]
    [InlineData("json", """[{"base64":"AP8bWzJK"},"hé","\\\t",""]""")]
    public async Task Recv_PrintsEveryByte_AsOneSafeLine(string format, string expected)
    {
        var path = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", path, "-n", "1", "--format", format);
        await using var push = new PushSocket();
        push.Connect(path);
        await push.SendOrFail(Awkward());
        var line = await recv.ReadLineAsync();
        Assert.Equal(expected, line);
        Assert.DoesNotContain('\u001b', line!);
        Assert.Equal(0, await recv.WaitForExitAsync());
    }

    [Theory]
    [InlineData("text", "", "a\\tb", "\\x00\\xff", "h\\\\é", "")]
    [InlineData("hex", "", "610962", "00ff", "685cc3a9", "")]
    [InlineData("base64", "", "YQli", "AP8=", "aFzDqQ==", "")]
    [InlineData("json", "", "\"a\\tb\"", "{\"base64\":\"AP8=\"}", "\"h\\\\é\"", "\"\"")]
    [InlineData("json", "[\"a\\tb\",{\"base64\":\"AP8=\"},\"h\\\\é\",\"\"]")]
    [InlineData("hex", "610962\t00ff\t685cc3a9\t")]
    public async Task Send_ReadsFramesInTheFormat_FromArgumentsOrStandardInput(string format, string stdin, params string[] frames)
    {
        await using var pull = new PullSocket();
        var endpoint = pull.Bind(TestUtil.Endpoint("ipc"));
        await using var send = CliProcess.Start(["send", "-t", "push", "-c", endpoint, "-f", format, "--", .. frames]);
        if (frames.Length == 0)
        {
            await send.Input.WriteLineAsync(stdin);
        }

        send.Input.Close();
        Assert.Equal(0, await send.WaitForExitAsync());
        using var message = await pull.ReceiveOrFail();
        Assert.Equal(4, message.Count);
        Assert.Equal("a\tb", message[0].ToString());
        Assert.Equal(new byte[] { 0x00, 0xff }, message.GetSpan(1).ToArray());
        Assert.Equal("h\\é", message[2].ToString());
        Assert.Equal(0, message.GetSpan(3).Length);
    }

    [Fact]
    public async Task Recv_ThenSend_InTheSameFormat_RoundTripsARoutersBinaryIdentity()
    {
        // A ROUTER's first frame is the peer's identity: bytes, here not UTF-8.
        await using var dealer = new DealerSocket(new SocketOptions { Identity = [0xfe, 0x00, 0x41] });
        var path = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "router", "-b", path, "-n", "1");
        dealer.Connect(path);
        await dealer.SendOrFail(new Message("hello"));
        var line = await recv.ReadLineAsync();
        Assert.Equal("\\xfe\\x00A\thello", line);
        Assert.Equal(0, await recv.WaitForExitAsync());

        // Sent back through a ROUTER in text form, the identity routes the reply to the same DEALER.
        var replyAt = TestUtil.Endpoint("ipc");
        await using var router = CliProcess.Start("send", "-t", "router", "-b", replyAt);
        await using var second = new DealerSocket(new SocketOptions { Identity = [0xfe, 0x00, 0x41] });
        second.Connect(replyAt);
        await router.Input.WriteLineAsync(line!.Replace("hello", "reply"));
        router.Input.Close();
        Assert.Equal(["reply"], (await second.ReceiveOrFail()).ToStrings());
        Assert.Equal(0, await router.WaitForExitAsync());
    }
}
