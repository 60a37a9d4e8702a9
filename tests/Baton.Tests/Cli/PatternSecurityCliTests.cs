using Baton.Messages;
using Baton.Patterns;
using Baton.Security;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>
/// The security flags of the pattern commands: <c>baton mdp-request</c> through <c>baton broker --curve-server</c>
/// (refused with the wrong server key or an unknown client key), <c>baton titanic</c> through it, a <c>baton binary-star</c> pair over CURVE, and
/// their usage errors.
/// </summary>
public sealed class PatternSecurityCliTests : IDisposable
{
    private readonly CliKeyFolder _keys = new("baton-pattern-security-cli-");

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task MdpRequest_ThroughACurveBroker_GetsItsReply_AndTheWrongServerKeyOrAnUnknownClientDeliversNothing()
    {
        var brokerKeys = CliKeyFolder.Keys("broker", _keys.Path);
        var friend = CliKeyFolder.Keys("friend", _keys.Clients);
        var workerKeys = CurveKeyFiles.Read(CliKeyFolder.Keys("worker", _keys.Clients).Secret);
        var stranger = CliKeyFolder.Keys("stranger", Path.Combine(_keys.Path, "elsewhere"));
        await using var broker = CliProcess.Start("broker", "-b", "tcp://127.0.0.1:0", "--curve-server", brokerKeys.Secret, "--curve-allow", _keys.Clients);
        var endpoint = (await broker.ReadLineAsync())!;

        await using var context = new Context();
        using var stop = new CancellationTokenSource();
        var handled = 0;
        await using var worker = new MajordomoWorker(endpoint, "echo", new MajordomoWorkerOptions
        {
            Security = SocketSecurity.CurveClient(workerKeys.SecretKey!, CurveKeyFiles.ReadPublicKey(brokerKeys.Public)),
        }, context);
        var serving = worker.RunAsync((request, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.FromResult(request);
        }, stop.Token);
        try
        {
            string[] ask = ["mdp-request", "-c", endpoint, "-t", "10", "-n", "1", "--curve-client", friend.Secret];
            var (exit, stdout, stderr) = await CliProcess.RunAsync([.. ask, "--curve-serverkey", brokerKeys.Public, "echo", "over", "curve"]);
            Assert.True(exit == 0, stderr);
            Assert.Equal("over\tcurve\n", stdout);

            // The wrong server key: the broker cannot open the HELLO; the client says why it heard nothing.
            (exit, stdout, stderr) = await CliProcess.RunAsync("mdp-request", "-c", endpoint, "-t", "0.5", "-n", "1", "--curve-client", friend.Secret, "--curve-serverkey", stranger.Public, "echo", "lost");
            Assert.Equal(1, exit);
            Assert.Equal("", stdout);
            Assert.Contains("during the handshake", stderr, StringComparison.Ordinal);
            Assert.Contains("No reply from Majordomo service 'echo'", stderr, StringComparison.Ordinal);
            await broker.WaitForStderrAsync("signature box");

            // A client key the broker does not allow.
            (exit, _, _) = await CliProcess.RunAsync("mdp-request", "-c", endpoint, "-t", "0.5", "-n", "1", "--curve-client", stranger.Secret, "--curve-serverkey", brokerKeys.Public, "echo", "refused");
            Assert.Equal(1, exit);
            await broker.WaitForStderrAsync("refused");

            // The broker serves on; only the two good requests reached the worker.
            (exit, stdout, stderr) = await CliProcess.RunAsync([.. ask, "--curve-serverkey", CurveKeyPair.FromPublicKey(CurveKeyFiles.ReadPublicKey(brokerKeys.Public)).PublicKeyZ85, "echo", "again"]);
            Assert.True(exit == 0, stderr);
            Assert.Equal("again\n", stdout);
            Assert.Equal(2, Volatile.Read(ref handled));
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving.WaitAsync(TestUtil.Timeout));
        }
    }

    [Fact]
    public async Task Titanic_OverCurve_StoresAndDeliversARequest_AskedThroughMdpRequest()
    {
        var brokerKeys = CliKeyFolder.Keys("broker", _keys.Path);
        var titanicKeys = CliKeyFolder.Keys("titanic", _keys.Clients);
        var me = CliKeyFolder.Keys("me", _keys.Clients);
        var brokerPublic = CurveKeyFiles.ReadPublicKey(brokerKeys.Public);
        await using var broker = CliProcess.Start("broker", "-b", "tcp://127.0.0.1:0", "--curve-server", brokerKeys.Secret, "--curve-allow", _keys.Clients);
        var endpoint = (await broker.ReadLineAsync())!;
        await using var titanic = CliProcess.Start(
            "titanic", "-c", endpoint, "-s", Path.Combine(_keys.Path, "store"), "--curve-client", titanicKeys.Secret, "--curve-serverkey", brokerKeys.Public);
        Assert.StartsWith("titanic:", await titanic.ReadLineAsync());

        await using var context = new Context();
        using var stop = new CancellationTokenSource();
        var security = SocketSecurity.CurveClient(CurveKeyFiles.Read(me.Secret).SecretKey!, brokerPublic);
        await using var worker = new MajordomoWorker(endpoint, "echo", new MajordomoWorkerOptions { Security = security }, context);
        var serving = worker.RunAsync((request, _) => ValueTask.FromResult(request), stop.Token);
        try
        {
            // The broker queues the request until titanic.request has its worker.
            var (exit, stdout, stderr) = await CliProcess.RunAsync("mdp-request", "-c", endpoint, "-t", "10", "-n", "1", "--curve-client", me.Secret, "--curve-serverkey", brokerKeys.Public, "titanic.request", "echo", "kept");
            Assert.True(exit == 0, stderr);
            var accepted = stdout.TrimEnd('\n').Split('\t');
            Assert.Equal("200", accepted[0]);

            await using var client = new MajordomoClient(endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1, Security = security }, context);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                using var reply = await client.RequestAsync(Titanic.ReplyService, new Message(accepted[1]), deadline.Token);
                if (reply[0].ToString() == "200")
                {
                    Assert.Equal(["200", "kept"], reply.ToStrings());
                    break;
                }

                await Task.Delay(50, deadline.Token);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving.WaitAsync(TestUtil.Timeout));
        }
    }

    [Fact]
    public async Task BinaryStar_PairOverCurve_SettlesAndServesACurveClient()
    {
        var primaryKeys = CliKeyFolder.Keys("primary", _keys.Path);
        var backupKeys = CliKeyFolder.Keys("backup", _keys.Path);
        var client = CurveKeyPair.Generate();
        string primaryFrontend = Ipc("primary"), backupFrontend = Ipc("backup"), primaryState = Ipc("primary-state"), backupState = Ipc("backup-state");
        await using var primary = CliProcess.Start(
            "binary-star", "--primary", "--frontend", primaryFrontend, "--local", primaryState, "--remote", backupState, "--heartbeat", "0.2",
            "--curve-server", primaryKeys.Secret, "--curve-client", primaryKeys.Secret, "--curve-serverkey", backupKeys.Public);
        await using var backup = CliProcess.Start(
            "binary-star", "--backup", "--frontend", backupFrontend, "--local", backupState, "--remote", primaryState, "--heartbeat", "0.2",
            "--curve-server", backupKeys.Secret, "--curve-client", backupKeys.Secret, "--curve-serverkey", primaryKeys.Public);

        // Each settles only when it hears its peer: the state link works over CURVE both ways.
        await ReadUntilAsync(primary, "-> active");
        await ReadUntilAsync(backup, "-> passive");

        await using var star = new BinaryStarClient(primaryFrontend, backupFrontend, new BinaryStarClientOptions
        {
            RequestTimeout = TestUtil.Timeout,
            MaxAttempts = 1,
            Security = SocketSecurity.CurveClient(client.SecretKey!, CurveKeyFiles.ReadPublicKey(primaryKeys.Public)),
            BackupSecurity = SocketSecurity.CurveClient(client.SecretKey!, CurveKeyFiles.ReadPublicKey(backupKeys.Public)),
        });
        using var reply = await star.RequestAsync(new Message("secured", "star"));
        Assert.Equal(["secured", "star"], reply.ToStrings());
    }

    [Theory]
    [InlineData("--curve-server: titanic only connects to the broker and serves nothing; give --curve-client", "titanic", "-c", "tcp://127.0.0.1:1", "-s", "store", "--curve-server", "x")]
    [InlineData("--plain-allow: mdp-request only connects to the broker and serves nothing", "mdp-request", "-c", "tcp://127.0.0.1:1", "--plain-allow", "a:b", "echo", "x")]
    [InlineData("--curve-client needs --curve-serverkey", "mdp-request", "-c", "tcp://127.0.0.1:1", "--curve-client", "x", "echo", "x")]
    [InlineData("--plain-allow and --plain go together here", "binary-star", "--primary", "--plain-allow", "a:b")]
    public async Task UsageErrors_Exit2_WithOneLine(string expected, params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunInAsync(_keys.Path, args);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("baton: ", stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BinaryStar_CurveServerWithoutCurveClient_IsAUsageError()
    {
        var keys = CliKeyFolder.Keys("star", _keys.Path);
        var (exit, _, stderr) = await CliProcess.RunAsync("binary-star", "--primary", "--curve-server", keys.Secret);
        Assert.Equal(2, exit);
        Assert.Contains("--curve-server and --curve-client go together here", stderr, StringComparison.Ordinal);
    }

    private static async Task<string> ReadUntilAsync(CliProcess process, string text)
    {
        while (true)
        {
            var line = await process.ReadLineAsync() ?? throw new InvalidOperationException($"the process ended before printing '{text}'");
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    private string Ipc(string name) => $"ipc://{Path.Combine(_keys.Path, name)}";
}
