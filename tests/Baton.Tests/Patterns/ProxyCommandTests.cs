using Baton.Messages;
using Baton.Sockets;
using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary><c>baton proxy</c> as a shell user runs it: the rrbroker line, steering, signals, usage errors.</summary>
public class ProxyCommandTests
{
    [Fact]
    public async Task RrBroker_CarriesRequestAndReply_PrintsItsSockets_AndEndsOnTerminate()
    {
        await using var cli = CliProcess.Start(
            "proxy", "--frontend", "router@tcp://127.0.0.1:0", "--backend", "DEALER@tcp://127.0.0.1:0", "--control", "tcp://127.0.0.1:0");
        var sockets = await ReadSocketsAsync(cli, 3);
        Assert.StartsWith("ROUTER@tcp://127.0.0.1:", sockets["frontend"], StringComparison.Ordinal);
        Assert.StartsWith("REP@tcp://127.0.0.1:", sockets["control"], StringComparison.Ordinal);

        await using var worker = new RepSocket();
        worker.Connect(sockets["backend"]["DEALER@".Length..]);
        await using var client = new ReqSocket();
        client.Connect(sockets["frontend"]["ROUTER@".Length..]);
        await client.SendOrFail(new Message("ping"));
        using (var request = await worker.ReceiveOrFail())
        {
            Assert.Equal("ping", request.ToString());
        }

        await worker.SendOrFail(new Message("pong"));
        using (var reply = await client.ReceiveOrFail())
        {
            Assert.Equal("pong", reply.ToString());
        }

        await using var control = new ReqSocket();
        control.Connect(sockets["control"]["REP@".Length..]);
        await control.SendOrFail(new Message("STATISTICS"));
        using (var statistics = await control.ReceiveOrFail())
        {
            Assert.Equal(8, statistics.Count);
            Assert.Equal(1UL, BitConverter.ToUInt64(statistics.GetSpan(0)));
            Assert.Equal(1UL, BitConverter.ToUInt64(statistics.GetSpan(4)));
        }

        await control.SendOrFail(new Message("TERMINATE"));
        using (var done = await control.ReceiveOrFail())
        {
            Assert.True(done.GetSpan(0).IsEmpty);
        }

        Assert.Equal(0, await cli.WaitForExitAsync());
    }

    [Fact]
    public async Task ABareCaptureEndpoint_BindsAPub_ThatSeesEveryMessage_AndConnectingSidesWork()
    {
        // The sink binds; the proxy connects its backend to it (TYPE>ENDPOINT), as a streamer in front of it would.
        await using var sink = new PullSocket();
        var sinkEndpoint = sink.Bind(TestUtil.Endpoint("tcp"));
        await using var cli = CliProcess.Start(
            "proxy", "--frontend", "PULL@tcp://127.0.0.1:0", "--backend", $"push>{sinkEndpoint}", "--capture", "tcp://127.0.0.1:0");
        var sockets = await ReadSocketsAsync(cli, 3);
        Assert.Equal($"PUSH>{sinkEndpoint}", sockets["backend"]);
        Assert.StartsWith("PUB@tcp://127.0.0.1:", sockets["capture"], StringComparison.Ordinal);

        await using var tap = new SubSocket();
        tap.Connect(sockets["capture"]["PUB@".Length..]);
        tap.Subscribe("");
        await using var source = new PushSocket();
        source.Connect(sockets["frontend"]["PULL@".Length..]);

        // A PUB drops what it sends before the subscription arrives: send until the tap sees one.
        var sent = 0;
        using (var seen = await TestUtil.SendUntilReceived(source, tap, () => new Message($"m{sent++}")))
        {
            Assert.StartsWith("m", seen.ToString(), StringComparison.Ordinal);
        }

        for (var i = 0; i < sent; i++)
        {
            using var delivered = await sink.ReceiveOrFail();
            Assert.Equal($"m{i}", delivered.ToString());
        }

        cli.Terminate();
        Assert.Equal(143, await cli.WaitForExitAsync());
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task Signal_EndsTheProxy(string signal, int exitCode)
    {
        await using var cli = CliProcess.Start("proxy", "--frontend", "PULL@tcp://127.0.0.1:0", "--backend", "PUSH@tcp://127.0.0.1:0");
        await ReadSocketsAsync(cli, 2);
        if (signal == "INT")
        {
            cli.Interrupt();
        }
        else
        {
            cli.Terminate();
        }

        Assert.Equal(exitCode, await cli.WaitForExitAsync());
    }

    [Theory]
    [InlineData("missing --backend", "--frontend", "ROUTER@tcp://127.0.0.1:0")]
    [InlineData("unknown socket type 'ROUTR'", "--frontend", "ROUTR@tcp://127.0.0.1:0", "--backend", "DEALER@tcp://127.0.0.1:0")]
    [InlineData("--frontend takes TYPE@ENDPOINT", "--frontend", "tcp://127.0.0.1:0", "--backend", "DEALER@tcp://127.0.0.1:0")]
    [InlineData("no endpoint after '>'", "--frontend", "ROUTER@tcp://127.0.0.1:0", "--backend", "DEALER>")]
    [InlineData("a PUB frontend and a PUSH backend cannot forward anything", "--frontend", "PUB@tcp://127.0.0.1:0", "--backend", "PUSH@tcp://127.0.0.1:0")]
    [InlineData("--capture: a PULL socket cannot send", "--frontend", "PULL@tcp://127.0.0.1:0", "--backend", "PUSH@tcp://127.0.0.1:0", "--capture", "PULL@tcp://127.0.0.1:0")]
    [InlineData("--control: a DEALER socket cannot take commands", "--frontend", "PULL@tcp://127.0.0.1:0", "--backend", "PUSH@tcp://127.0.0.1:0", "--control", "DEALER@tcp://127.0.0.1:0")]
    [InlineData("unknown option '--frontnd'", "--frontnd", "ROUTER@tcp://127.0.0.1:0")]
    public async Task UsageErrors_AreOneLine_WithExitCode2(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["proxy", .. args]);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("baton: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndpointThatCannotBind_FailsWithExitCode1_NamingTheSocket()
    {
        var (exit, _, stderr) = await CliProcess.RunAsync("proxy", "--frontend", "ROUTER@tcp://127.0.0.1:0", "--backend", "DEALER@bogus://x");
        Assert.Equal(1, exit);
        Assert.StartsWith("baton: backend: ", stderr, StringComparison.Ordinal);
    }

    /// <summary>Reads the "ROLE TYPE@ENDPOINT" lines the proxy prints once its sockets are up.</summary>
    private static async Task<Dictionary<string, string>> ReadSocketsAsync(CliProcess cli, int count)
    {
        var sockets = new Dictionary<string, string>();
        for (var i = 0; i < count; i++)
        {
            var line = await cli.ReadLineAsync() ?? throw new InvalidOperationException("baton proxy ended: " + await cli.StderrAsync());
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            sockets[line[..space]] = line[(space + 1)..];
        }

        return sockets;
    }
}
