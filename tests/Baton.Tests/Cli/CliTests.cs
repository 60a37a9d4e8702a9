using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Cli;

public class CliTests
{
    [Theory]
    [InlineData("tcp")]
    [InlineData("ipc")]
    public async Task Send_DeliversFramesCountTimes_ToABoundPull(string transport)
    {
        await using var pull = new PullSocket();
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "--type", "push", "--connect", endpoint, "--count", "3", "hello", "", "world");
        Assert.True(exit == 0, stderr);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(["hello", "", "world"], (await pull.ReceiveOrFail()).ToStrings());
        }
    }

    [Fact]
    public async Task Recv_PrintsFramesTabJoined_AndStopsAfterCount()
    {
        var path = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "--type", "PULL", "--bind", path, "--count", "2");
        await using var push = new PushSocket();
        push.Connect(path);
        await push.SendOrFail(new Message("a", "b"));
        await push.SendOrFail(new Message("c"));
        Assert.Equal("a\tb", await recv.ReadLineAsync());
        Assert.Equal("c", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
    }

    [Fact]
    public async Task EndlessRecv_StopsCleanlyOnSigterm_AndRemovesItsIpcFile()
    {
        var path = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "--type", "pull", "--bind", path);
        await using var push = new PushSocket();
        push.Connect(path);
        await push.SendOrFail(new Message("one"));
        Assert.Equal("one", await recv.ReadLineAsync());
        recv.Terminate();
        Assert.Equal(143, await recv.WaitForExitAsync());
        Assert.False(File.Exists(path["ipc://".Length..]));
    }

    [Theory]
    [InlineData("--bind")]
    [InlineData("--connect")]
    public async Task PubSend_WaitsForASubscription_SoTheFirstMessageIsNotLost(string mode)
    {
        var path = TestUtil.Endpoint("ipc");
        var subMode = mode == "--bind" ? "--connect" : "--bind";
        await using var recv = CliProcess.Start("recv", "--type", "sub", subMode, path, "--count", "1");

        // Either way round, a connecting side retries until the other is there.
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "--type", "pub", mode, path, "first and only");
        Assert.True(exit == 0, stderr);
        Assert.Equal("first and only", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
    }

    [Fact]
    public async Task SendFromStdin_StreamsEachLine_SplittingFramesAtTabs_BetweenTwoCliProcesses()
    {
        var path = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "--type", "pull", "--bind", path, "--count", "2");
        await using var send = CliProcess.Start("send", "--type", "push", "--connect", path);
        await send.Input.WriteLineAsync("first\tline");
        await send.Input.FlushAsync();

        // The first line crosses while stdin is still open: send streams.
        Assert.Equal("first\tline", await recv.ReadLineAsync());
        await send.Input.WriteLineAsync("second");
        send.Input.Close();
        Assert.Equal("second", await recv.ReadLineAsync());
        Assert.Equal(0, await send.WaitForExitAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
    }

    [Fact]
    public async Task Req_PrintsReplies_AndRepEchoes()
    {
        var path = TestUtil.Endpoint("ipc");
        await using var rep = CliProcess.Start("recv", "--type", "rep", "--bind", path, "--count", "2");
        var (exit, stdout, stderr) = await CliProcess.RunAsync("send", "--type", "req", "--connect", path, "--count", "2", "ping", "1");
        Assert.True(exit == 0, stderr);
        Assert.Equal("ping\t1\nping\t1\n", stdout.Replace("\r", ""));
        Assert.Equal("ping\t1", await rep.ReadLineAsync());
        Assert.Equal(0, await rep.WaitForExitAsync());
    }

    [Fact]
    public async Task SendWithBind_WaitsForAPeer_AndSubFilters()
    {
        var path = TestUtil.Endpoint("ipc");
        await using var sub = CliProcess.Start("recv", "--type", "sub", "--connect", path, "--subscribe", "keep", "--count", "1");
        await using var pub = new PubSocket();
        pub.Bind(path);
        await pub.WaitForPeerAsync(new CancellationTokenSource(TestUtil.Timeout).Token);
        string? line = null;
        var reading = sub.ReadLineAsync();
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (!reading.IsCompleted)
        {
            await pub.SendAsync(new Message("skip", "x"), cancel.Token);
            await pub.SendAsync(new Message("keep", "y"), cancel.Token);
            await Task.WhenAny(reading, Task.Delay(20, cancel.Token));
        }

        line = await reading;
        Assert.Equal("keep\ty", line);

        await using var pull = new PullSocket();
        var endpoint = TestUtil.Endpoint("ipc");
        await using var send = CliProcess.Start("send", "--type", "push", "--bind", endpoint, "late");
        pull.Connect(endpoint);
        Assert.Equal(["late"], (await pull.ReceiveOrFail()).ToStrings());
        Assert.Equal(0, await send.WaitForExitAsync());
    }

    [Theory]
    [InlineData(2, "unknown socket type", "send", "--type", "STREAM", "--connect", "tcp://127.0.0.1:5555", "x")]
    [InlineData(2, "exactly one of --bind and --connect", "send", "--type", "push", "x")]
    [InlineData(1, "Invalid endpoint", "recv", "--type", "pull", "--bind", "foo://bar")]
    [InlineData(2, "cannot send", "send", "--type", "pull", "--connect", "tcp://127.0.0.1:5555", "x")]
    [InlineData(2, "cannot receive", "recv", "--type", "push", "--connect", "tcp://127.0.0.1:5555")]
    [InlineData(2, "--type", "recv", "--bind", "tcp://127.0.0.1:0")]
    [InlineData(2, "--count", "recv", "--type", "pull", "--bind", "tcp://127.0.0.1:0", "--count", "0")]
    public async Task Errors_ExitNonZero_WithOneLineNamingTheProblem(int exitCode, string expected, params string[] args)
    {
        // 2: the command line cannot run as given; 1: it ran and failed.
        var (exit, _, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(exitCode, exit);
        var lines = stderr.TrimEnd().Split('\n');
        Assert.Single(lines);
        Assert.Contains(expected, lines[0]);
    }

    [Fact]
    public async Task AddressInUse_IsReportedOnOneLine()
    {
        await using var holder = new PullSocket();
        var endpoint = holder.Bind("tcp://127.0.0.1:0");
        var (exit, _, stderr) = await CliProcess.RunAsync("recv", "--type", "pull", "--bind", endpoint);
        Assert.Equal(1, exit);
        Assert.Contains("already in use", stderr.Trim());
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Demo_RunsThePipelineAndTheFanOut()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("demo");
        Assert.True(exit == 0, stderr);
        Assert.Contains("10 tasks, 10 results", stdout);
        Assert.Contains("subscriber 'weather' <- weather\tlondon\train", stdout);
        Assert.DoesNotContain("traffic\ta1", stdout);
    }
}
