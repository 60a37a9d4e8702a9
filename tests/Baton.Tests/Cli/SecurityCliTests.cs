using Baton.Security;
using Baton.Tests.Interop;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>The security flags end to end: CLI processes, and pyzmq (real libzmq) on the other side.</summary>
public sealed class SecurityCliTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-security-cli-");
    private readonly string _clients;

    public SecurityCliTests()
    {
        _clients = Path.Combine(_folder.FullName, "clients");
    }

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task CurveAllow_LetsInTheClientsInTheFolder_RefusesAnotherKey_AndKeepsServing()
    {
        var server = Keys("server", _folder.FullName);
        var good = Keys("good", _clients);
        var stranger = Keys("stranger", Path.Combine(_folder.FullName, "elsewhere"));
        var endpoint = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", endpoint, "-n", "1", "--curve-server", server.Secret, "--curve-allow", _clients);

        await using (CliProcess.Start("send", "-t", "push", "-c", endpoint, "--curve-client", stranger.Secret, "--curve-serverkey", server.Public, "from the stranger"))
        {
            // The refusal is logged with its reason; the stranger keeps retrying until it is killed.
            var refused = await recv.WaitForStderrAsync("refused");
            Assert.Contains("CURVE", refused, StringComparison.Ordinal);
        }

        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", good.Secret, "--curve-serverkey", server.Public, "from a friend");
        Assert.True(exit == 0, stderr);
        Assert.Equal("from a friend", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
        Assert.Null(await recv.ReadLineAsync());
    }

    [Fact]
    public async Task PlainAllow_LetsInItsCredentialsOnly()
    {
        var endpoint = TestUtil.Endpoint("ipc");
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", endpoint, "-n", "1", "--plain-allow", "alice:open sesame", "--plain-allow", "bob:pw:with:colons");
        await using (CliProcess.Start("send", "-t", "push", "-c", endpoint, "--plain", "alice:guess", "wrong password"))
        {
            var refused = await recv.WaitForStderrAsync("refused");
            Assert.Contains("PLAIN", refused, StringComparison.Ordinal);
        }

        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--plain", "bob:pw:with:colons", "from bob");
        Assert.True(exit == 0, stderr);
        Assert.Equal("from bob", await recv.ReadLineAsync());
        Assert.Equal(0, await recv.WaitForExitAsync());
        Assert.Null(await recv.ReadLineAsync());
    }

    [Fact]
    public async Task CurveServer_TakesAPyzmqCurveClient_WhoseKeyIsAllowed_AndRefusesOneWhoseKeyIsNot()
    {
        var server = Keys("server", _folder.FullName);
        var friend = Keys("friend", _clients);
        var stranger = CurveKeyPair.Generate();
        var port = TestUtil.FreeTcpPort();
        await using var recv = CliProcess.Start("recv", "-t", "pull", "-b", $"tcp://127.0.0.1:{port}", "-n", "1", "--curve-server", server.Secret, "--curve-allow", _clients);
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
        var client = Keys("client", _folder.FullName);
        await using var pull = await PyzmqPeer.StartAsync("PULL", new Dictionary<string, object> { ["CURVE_SERVER"] = 1, ["CURVE_SECRETKEY"] = server.SecretKeyZ85! });
        var endpoint = await pull.BindAsync("tcp://127.0.0.1:*");
        var (exit, _, stderr) = await CliProcess.RunAsync("send", "-t", "push", "-c", endpoint, "--curve-client", client.Secret, "--curve-serverkey", server.PublicKeyZ85, "to libzmq");
        Assert.True(exit == 0, stderr);
        Assert.Equal(["to libzmq"], await pull.ReceiveAsync());
    }

    private static Dictionary<string, object> Curve(string serverKey, CurveKeyPair client) => new()
    {
        ["CURVE_SERVERKEY"] = serverKey,
        ["CURVE_PUBLICKEY"] = client.PublicKeyZ85,
        ["CURVE_SECRETKEY"] = client.SecretKeyZ85!,
    };

    private static (string Public, string Secret) Keys(string name, string directory)
    {
        var (publicFile, secretFile) = CurveKeyFiles.Write(directory, name, CurveKeyPair.Generate());
        return (publicFile, secretFile);
    }
}
