using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>What goes wrong reaches stderr in words: Baton's warnings by default, bind failures with their real cause.</summary>
public sealed class CliDiagnosticsTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-cli-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task PushConnectedToAPub_PrintsAWarning_InsteadOfLookingLikeAHang()
    {
        await using var pub = new PubSocket();
        var endpoint = pub.Bind("tcp://127.0.0.1:0");
        await using var send = CliProcess.Start("send", "--type", "push", "--connect", endpoint, "never delivered");
        var warning = await send.WaitForStderrAsync("baton: warning: ");
        Assert.Contains("PUSH", warning);
        Assert.Contains("cannot talk to a PUB socket", warning);
        send.Terminate();
        Assert.Equal(143, await send.WaitForExitAsync());

        // Said once, though the PUSH retries and is refused again and again.
        Assert.Single((await send.StderrAsync()).TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Quiet_PrintsNoWarning()
    {
        await using var pub = new PubSocket();
        var endpoint = pub.Bind("tcp://127.0.0.1:0");
        var events = pub.MonitorAsync().GetAsyncEnumerator();
        await using var send = CliProcess.Start("send", "--quiet", "--type", "push", "--connect", endpoint, "never delivered");

        // The PUB refuses the PUSH at the handshake, and again when it retries: by then its warning would be out.
        await events.NextEventAsync(e => e.Kind == SocketEventKind.PeerDropped);
        await events.NextEventAsync(e => e.Kind == SocketEventKind.PeerDropped);
        send.Terminate();
        Assert.Equal(143, await send.WaitForExitAsync());
        Assert.Equal("", await send.StderrAsync());
        await events.DisposeAsync();
    }

    [Fact]
    public async Task Recv_WhoseReaderWentAway_EndsQuietlyWith141()
    {
        var path = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", path);
        await using var push = new PushSocket();
        push.Connect(path);
        await push.SendOrFail(new Message("read"));
        Assert.Equal("read", await recv.ReadLineAsync());
        recv.CloseStdout();
        await push.SendOrFail(new Message("nobody reads this"));
        Assert.Equal(141, await recv.WaitForExitAsync());
        Assert.Equal("", await recv.StderrAsync());
    }

    [Fact]
    public async Task IpcBind_InAMissingFolder_SaysTheFolderIsMissing()
    {
        var missing = Path.Combine(_folder.FullName, "missing");
        var (exit, _, stderr) = await CliProcess.RunAsync("recv", "-t", "pull", "-b", $"ipc://{Path.Combine(missing, "feed.ipc")}");
        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains($"the folder '{missing}' does not exist", line);
    }

    [Fact]
    public async Task TcpBind_ToAnAddressOfAnotherMachine_SaysSo()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-b", "tcp://192.0.2.1:5555", "x");
        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("192.0.2.1 is not an address of this machine", line);
    }
}
