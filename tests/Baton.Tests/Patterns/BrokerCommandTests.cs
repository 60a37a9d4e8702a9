using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary><c>baton broker</c> as a shell user meets it: it serves, prints where it bound, stops on a signal, and refuses a bad line in one line.</summary>
public class BrokerCommandTests
{
    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task Broker_ServesAWorkerAndAClient_OnEveryBoundEndpoint_AndEndsOnASignal(string signal, int exitCode)
    {
        var ipc = TestUtil.Endpoint("ipc");
        await using var broker = CliProcess.Start("broker", "--bind", "tcp://127.0.0.1:0", "--bind", ipc);
        var tcp = await broker.ReadLineAsync();
        Assert.StartsWith("tcp://127.0.0.1:", tcp, StringComparison.Ordinal);
        Assert.Equal(ipc, await broker.ReadLineAsync());

        using var context = new Context();
        using var stop = new CancellationTokenSource();
        // The CLI's broker heartbeats at the guide's 2.5 s: so does the worker, as it must.
        await using var worker = new MajordomoWorker(tcp!, "echo", context: context);
        var serving = worker.RunAsync((request, _) => ValueTask.FromResult(request), stop.Token);
        try
        {
            // The worker came through tcp; the client comes through ipc.
            await using var client = new MajordomoClient(ipc, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, context);
            using var reply = await client.RequestAsync("echo", new Message("through", "the CLI"));
            Assert.Equal(["through", "the CLI"], reply.ToStrings());
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving.WaitAsync(TestUtil.Timeout));
        }

        if (signal == "INT")
        {
            broker.Interrupt();
        }
        else
        {
            broker.Terminate();
        }

        Assert.Equal(exitCode, await broker.WaitForExitAsync());
    }

    [Fact]
    public async Task MdpRequest_PrintsTheReply_AsksMmi_AndFailsClearlyWithoutAWorker()
    {
        await using var run = await MajordomoTests.BrokerRun.StartAsync();
        run.StartWorker("upper", (request, _) =>
        {
            var frames = request.ToStrings();
            request.Dispose();
            return ValueTask.FromResult(new Message([.. frames.Select(f => f.ToUpperInvariant())]));
        });

        var (exit, stdout, stderr) = await CliProcess.RunAsync("mdp-request", "--connect", run.Endpoint, "--timeout", "10", "upper", "hello", "world");
        Assert.True(exit == 0, stderr);
        Assert.Equal("HELLO\tWORLD\n", stdout);

        (exit, stdout, _) = await CliProcess.RunAsync("mdp-request", "-c", run.Endpoint, "mmi.service", "nobody");
        Assert.Equal(0, exit);
        Assert.Equal("404\n", stdout);

        (exit, stdout, stderr) = await CliProcess.RunAsync("mdp-request", "-c", run.Endpoint, "-t", "0.2", "-n", "2", "-q", "nobody", "x");
        Assert.Equal(1, exit);
        Assert.Empty(stdout);
        Assert.StartsWith("baton: No reply from Majordomo service 'nobody' after 2 attempt(s)", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing --connect", "mdp-request", "echo", "x")]
    [InlineData("--timeout takes a number of seconds", "mdp-request", "-c", "tcp://127.0.0.1:1", "-t", "soon", "echo", "x")]
    [InlineData("--attempts takes a whole number", "mdp-request", "-c", "tcp://127.0.0.1:1", "-n", "0", "echo", "x")]
    [InlineData("missing --bind", "broker")]
    [InlineData("--verbose or --quiet", "broker", "-b", "tcp://127.0.0.1:0", "-v", "-q")]
    [InlineData("unknown option '--bnd'", "broker", "--bnd", "tcp://127.0.0.1:0")]
    public async Task Broker_WithABadCommandLine_SaysWhyInOneLine_AndExits2(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("baton: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_Help_ShowsExamples()
    {
        var (exit, stdout, _) = await CliProcess.RunAsync("broker", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("--bind", stdout, StringComparison.Ordinal);
        Assert.Contains("Examples:", stdout, StringComparison.Ordinal);
        Assert.Contains("baton broker --bind tcp://*:5555", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Broker_OnAnEndpointInUse_FailsWithExitCode1()
    {
        await using var holder = new RouterSocket();
        var taken = holder.Bind("tcp://127.0.0.1:0");
        var (exit, _, stderr) = await CliProcess.RunAsync("broker", "--bind", taken);
        Assert.Equal(1, exit);
        Assert.StartsWith("baton: ", stderr, StringComparison.Ordinal);
    }
}
