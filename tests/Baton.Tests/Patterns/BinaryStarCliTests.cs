using Baton.Messages;
using Baton.Patterns;
using Baton.Tests.Cli;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// <c>baton binary-star</c> as processes: a pair of echo servers whose primary is killed with SIGKILL,
/// the client failing over to the backup, and the primary restarted to stand by; plus the CLI's
/// usage errors and signals.
/// </summary>
public sealed class BinaryStarCliTests : IDisposable
{
    private static readonly BinaryStarClientOptions s_client = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(1),
        SettleDelay = TimeSpan.FromMilliseconds(500),
        MaxAttempts = 10,
    };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-bstar-cli-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task PrimaryKilled_ClientFailsOverToTheBackup_AndTheRestartedPrimaryStandsBy()
    {
        string primaryFrontend = Ipc("primary"), backupFrontend = Ipc("backup"), primaryState = Ipc("primary-state"), backupState = Ipc("backup-state");
        string[] primaryArgs = ["binary-star", "--primary", "--frontend", primaryFrontend, "--local", primaryState, "--remote", backupState, "--heartbeat", "0.2"];
        var primary = CliProcess.Start(primaryArgs);
        var killed = false;
        try
        {
            await using var backup = CliProcess.Start("binary-star", "--backup", "--frontend", backupFrontend, "--local", backupState, "--remote", primaryState, "--heartbeat", "0.2");
            await ReadUntilAsync(primary, "-> active");
            await ReadUntilAsync(backup, "-> passive");

            await using var client = new BinaryStarClient(primaryFrontend, backupFrontend, s_client);
            using (var reply = await client.RequestAsync(new Message("one", "two")))
            {
                Assert.Equal(["one", "two"], reply.ToStrings());
            }

            // SIGKILL while a request may be in flight: no goodbye, no closed sockets, the ipc files
            // left behind. The request gets exactly one reply, from whichever server answered it.
            var inFlight = client.RequestAsync(new Message("in flight"));
            killed = true;
            await primary.DisposeAsync();
            using (var reply = await inFlight)
            {
                Assert.Equal(["in flight"], reply.ToStrings());
            }

            for (var i = 0; i < 3; i++)
            {
                using var reply = await client.RequestAsync(new Message("after the kill", $"{i}"));
                Assert.Equal(["after the kill", $"{i}"], reply.ToStrings());
            }

            Assert.Equal(backupFrontend, client.CurrentEndpoint);
            Assert.Contains("client", await ReadUntilAsync(backup, "passive -> active"));

            primary = CliProcess.Start(primaryArgs);
            killed = false;
            await ReadUntilAsync(primary, "primary -> passive");
            using (var reply = await client.RequestAsync(new Message("still served")))
            {
                Assert.Equal("still served", reply.First.ToString());
            }

            Assert.Equal(backupFrontend, client.CurrentEndpoint);
        }
        finally
        {
            if (!killed)
            {
                await primary.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("give exactly one of --primary and --backup (neither given)")]
    [InlineData("give exactly one of --primary and --backup (both given)", "--primary", "--backup")]
    [InlineData("--heartbeat takes a number of seconds above 0, not '0'", "--primary", "--heartbeat", "0")]
    [InlineData("--frontend needs a value", "--primary", "--frontend")]
    [InlineData("give --verbose or --quiet, not both", "--backup", "-v", "-q")]
    public async Task UsageErrors_Exit2_WithOneLine(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["binary-star", .. args]);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("baton: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task EndpointInUse_Exits1_NamingIt()
    {
        await using var squatter = new Baton.Sockets.PullSocket();
        var taken = squatter.Bind(Ipc("taken"));
        var (exit, _, stderr) = await CliProcess.RunAsync("binary-star", "--primary", "--frontend", taken, "--local", Ipc("state"), "--remote", Ipc("peer"));
        Assert.Equal(1, exit);
        var line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("baton: ", line);
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task Signal_EndsTheServer_WithTheShellsExitCode(string signal, int exitCode)
    {
        await using var server = CliProcess.Start("binary-star", "--backup", "--frontend", Ipc("frontend"), "--local", Ipc("state"), "--remote", Ipc("peer"));
        await ReadUntilAsync(server, "backup: clients on");
        if (signal == "INT")
        {
            server.Interrupt();
        }
        else
        {
            server.Terminate();
        }

        Assert.Equal(exitCode, await server.WaitForExitAsync());
    }

    [Fact]
    public async Task Help_SaysItIsAnEchoServer_AndShowsTheGuidesDefaults()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("binary-star", "--help");
        Assert.True(exit == 0, stderr);
        Assert.Contains("echo server", stdout);
        Assert.Contains("tcp://*:5001", stdout);
        Assert.Contains("tcp://localhost:5004", stdout);
        Assert.Contains("Examples:", stdout);
    }

    /// <summary>Reads stdout lines until one contains <paramref name="text"/>, and returns it.</summary>
    private static async Task<string> ReadUntilAsync(CliProcess process, string text)
    {
        while (true)
        {
            var line = await process.ReadLineAsync() ?? throw new InvalidOperationException($"stdout ended before '{text}': {await process.StderrAsync()}");
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    private string Ipc(string name) => $"ipc://{Path.Combine(_folder.FullName, name)}";
}
