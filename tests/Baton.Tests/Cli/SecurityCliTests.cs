using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Interop;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>The security flags end to end: CLI processes, and pyzmq (real libzmq) on the other side.</summary>
public sealed class SecurityCliTests : IDisposable
{
    private readonly CliKeyFolder _keys = new("baton-security-cli-");

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task CurveAllow_LetsInTheClientsInTheFolder_RefusesAnotherKey_AndKeepsServing()
    {
        var server = CliKeyFolder.Keys("server", _keys.Path);
        var good = CliKeyFolder.Keys("good", _keys.Clients);
        var stranger = CliKeyFolder.Keys("stranger", Path.Combine(_keys.Path, "elsewhere"));
        var endpoint = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", endpoint, "-n", "1", "--curve-server", server.Secret, "--curve-allow", _keys.Clients);

        // Refused: the server logs why, and the client ends with the reason rather than retrying for ever.
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", stranger.Secret, "--curve-serverkey", server.Public, "from the stranger");
        Assert.Equal(1, exit);
        Assert.Contains($"baton: the CURVE handshake with {endpoint} failed: the server refused the handshake", stderr, StringComparison.Ordinal);
        Assert.Contains("CURVE", await recv.WaitForStderrAsync("refused"), StringComparison.Ordinal);

        // A server key that is not the server's: the server cannot open the HELLO and hangs up.
        (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", good.Secret, "--curve-serverkey", stranger.Public, "to the wrong server");
        Assert.Equal(1, exit);
        Assert.Contains($"baton: the CURVE handshake with {endpoint} failed", stderr, StringComparison.Ordinal);

        // A recv that connects is refused the same way.
        (exit, _, stderr) = await CliProcess.RunAsync("recv", "-t", "pull", "-c", endpoint, "--curve-client", stranger.Secret, "--curve-serverkey", server.Public);
        Assert.Equal(1, exit);
        Assert.Contains("the server refused the handshake", stderr, StringComparison.Ordinal);

        (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", good.Secret, "--curve-serverkey", server.Public, "from a friend");
        Assert.True(exit == 0, stderr);
        Assert.Equal("from a friend", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
        Assert.Null(await recv.ReadLineAsync());
    }

    [Fact]
    public async Task CurveServer_WithoutCurveAllow_LetsInAnyClientThatKnowsItsKey_AsLibzmqDoes()
    {
        var server = CliKeyFolder.Keys("server", _keys.Path);
        var anyone = CliKeyFolder.Keys("anyone", Path.Combine(_keys.Path, "anywhere"));
        var endpoint = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", endpoint, "-n", "1", "--curve-server", server.Secret);
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", anyone.Secret, "--curve-serverkey", server.Public, "hello");
        Assert.True(exit == 0, stderr);
        Assert.Equal("hello", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
    }

    [Fact]
    public async Task AClientWithoutSecurityFlags_ToASecuredServer_EndsWithWhatToGive_RatherThanWaitingForEver()
    {
        var server = CliKeyFolder.Keys("server", _keys.Path);
        var endpoint = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", endpoint, "-n", "1", "--curve-server", server.Secret);
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "in the clear");
        Assert.Equal(1, exit);
        Assert.Contains($"baton: the handshake with {endpoint} failed: security mechanism mismatch", stderr, StringComparison.Ordinal);
        Assert.Contains("--curve-client SECRETKEYFILE --curve-serverkey KEY", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CurveAllow_WithAnEmptyFolder_WarnsThatEveryClientWillBeRefused()
    {
        var server = CliKeyFolder.Keys("server", _keys.Path);
        Directory.CreateDirectory(_keys.Clients);
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", TestUtil.Endpoint("ipc"), "--curve-server", server.Secret, "--curve-allow", _keys.Clients);
        var warning = await recv.WaitForStderrAsync("every client will be refused");
        Assert.Equal($"baton: warning: --curve-allow: no public-key files (*.key) in '{_keys.Clients}': every client will be refused", warning);
    }

    [Fact]
    public async Task PlainAllow_LetsInItsCredentialsOnly()
    {
        var endpoint = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", endpoint, "-n", "1", "--plain-allow", "alice:open sesame", "--plain-allow", "bob:pw:with:colons");
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--plain", "alice:guess", "wrong password");
        Assert.Equal(1, exit);
        Assert.Contains($"baton: the PLAIN handshake with {endpoint} failed", stderr, StringComparison.Ordinal);
        Assert.Contains("PLAIN", await recv.WaitForStderrAsync("refused"), StringComparison.Ordinal);

        (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--plain", "bob:pw:with:colons", "from bob");
        Assert.True(exit == 0, stderr);
        Assert.Equal("from bob", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
        Assert.Null(await recv.ReadLineAsync());
    }

    [Fact]
    public async Task CurveServer_TakesAPyzmqCurveClient_WhoseKeyIsAllowed_AndRefusesOneWhoseKeyIsNot()
    {
        var server = CliKeyFolder.Keys("server", _keys.Path);
        var friend = CliKeyFolder.Keys("friend", _keys.Clients);
        var stranger = CurveKeyPair.Generate();
        var port = TestUtil.FreeTcpPort();
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", $"tcp://127.0.0.1:{port}", "-n", "1", "--curve-server", server.Secret, "--curve-allow", _keys.Clients);
        var serverKey = CurveKeyFiles.Read(server.Public).PublicKeyZ85;

        await using (var refusedPeer = await PyzmqPeer.StartAsync("PUSH", Curve(serverKey, stranger)))
        {
            await refusedPeer.ConnectAsync($"tcp://127.0.0.1:{port}");
            await refusedPeer.SendAsync("from a stranger"u8.ToArray());
            await recv.WaitForStderrAsync("refused");
        }

        await using var peer = await PyzmqPeer.StartAsync("PUSH", Curve(serverKey, CurveKeyFiles.Read(friend.Secret)));
        await peer.ConnectAsync($"tcp://127.0.0.1:{port}");
        await peer.SendAsync("from pyzmq"u8.ToArray());
        Assert.Equal("from pyzmq", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
    }

    [Fact]
    public async Task CurveClient_ReachesAPyzmqCurveServer_WithTheServerKeyInZ85()
    {
        var server = CurveKeyPair.Generate();
        var client = CliKeyFolder.Keys("client", _keys.Path);
        await using var pull = await PyzmqPeer.StartAsync("PULL", new Dictionary<string, object> { ["CURVE_SERVER"] = 1, ["CURVE_SECRETKEY"] = server.SecretKeyZ85! });
        var endpoint = await pull.BindAsync("tcp://127.0.0.1:*");
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", client.Secret, "--curve-serverkey", server.PublicKeyZ85, "to libzmq");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["to libzmq"], await pull.ReceiveAsync());
    }

    [Fact]
    public async Task Proxy_ServesCurveWhereItBinds_AndIsACurveClientWhereItConnects()
    {
        var proxyKeys = CliKeyFolder.Keys("proxy", _keys.Path);
        var friend = CurveKeyFiles.Read(CliKeyFolder.Keys("friend", _keys.Clients).Secret);
        var proxyPublic = CurveKeyFiles.ReadPublicKey(proxyKeys.Public);
        var sinkKeys = CurveKeyPair.Generate();
        await using var sink = new PullSocket(new SocketOptions { Security = SocketSecurity.CurveServer(sinkKeys.SecretKey!) });
        var sinkEndpoint = sink.Bind(TestUtil.Endpoint("tcp"));

        await using var proxy = CliProcess.Start(
            "proxy", "--frontend", "PULL@tcp://127.0.0.1:0", "--backend", $"PUSH>{sinkEndpoint}",
            "--curve-server", proxyKeys.Secret, "--curve-allow", _keys.Clients,
            "--curve-client", proxyKeys.Secret, "--curve-serverkey", sinkKeys.PublicKeyZ85);
        var frontend = (await proxy.ReadLineAsync())!["frontend PULL@".Length..];

        await using (var stranger = new PushSocket(new SocketOptions { Security = SocketSecurity.CurveClient(CurveKeyPair.Generate().SecretKey!, proxyPublic), Linger = TimeSpan.Zero }))
        {
            stranger.Connect(frontend);
            await stranger.SendOrFail(new Message("from a stranger"));
            await proxy.WaitForStderrAsync("refused");
        }

        await using var client = new PushSocket(new SocketOptions { Security = SocketSecurity.CurveClient(friend.SecretKey!, proxyPublic) });
        client.Connect(frontend);
        await client.SendOrFail(new Message("through the proxy"));
        using var received = await sink.ReceiveOrFail();
        Assert.Equal("through the proxy", received.ToString());
    }

    [Fact]
    public async Task Broker_ServesCurve_ToTheClientsItAllows()
    {
        var brokerKeys = CliKeyFolder.Keys("broker", _keys.Path);
        var brokerPublic = CurveKeyFiles.ReadPublicKey(brokerKeys.Public);
        var friend = CurveKeyFiles.Read(CliKeyFolder.Keys("friend", _keys.Clients).Secret);
        await using var broker = CliProcess.Start("broker", "-b", "tcp://127.0.0.1:0", "--curve-server", brokerKeys.Secret, "--curve-allow", _keys.Clients);
        var endpoint = (await broker.ReadLineAsync())!;

        await using (var stranger = new DealerSocket(new SocketOptions { Security = SocketSecurity.CurveClient(CurveKeyPair.Generate().SecretKey!, brokerPublic), Linger = TimeSpan.Zero }))
        {
            stranger.Connect(endpoint);
            await stranger.SendOrFail(new Message("", "MDPC01", "mmi.service", "echo"));
            await broker.WaitForStderrAsync("refused");
        }

        await using var client = new DealerSocket(new SocketOptions { Security = SocketSecurity.CurveClient(friend.SecretKey!, brokerPublic) });
        client.Connect(endpoint);
        await client.SendOrFail(new Message("", "MDPC01", "mmi.service", "echo"));
        using var reply = await client.ReceiveOrFail();
        Assert.Equal(["", "MDPC01", "mmi.service", "404"], reply.ToStrings());
    }

    private static Dictionary<string, object> Curve(string serverKey, CurveKeyPair client) => new()
    {
        ["CURVE_SERVERKEY"] = serverKey,
        ["CURVE_PUBLICKEY"] = client.PublicKeyZ85,
        ["CURVE_SECRETKEY"] = client.SecretKeyZ85!,
    };
}
