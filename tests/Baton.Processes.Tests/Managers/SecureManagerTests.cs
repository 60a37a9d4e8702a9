using Baton.Security;
using Baton.Sockets;
using Xunit;

namespace Baton.Processes.Tests.Managers;

/// <summary>A ManagerServer serving CURVE over tcp with an authenticator: known clients reach its objects, others never do.</summary>
public sealed class SecureManagerTests : IAsyncLifetime
{
    private readonly CurveKeyPair _serverKeys = CurveKeyPair.Generate();
    private readonly CurveKeyPair _clientKeys = CurveKeyPair.Generate();
    private readonly CancellationTokenSource _stop = new();
    private Context _context = null!;
    private ZapAuthenticator _authenticator = null!;
    private ManagerServer _server = null!;
    private Task _serving = null!;
    private string _endpoint = "";

    public Task InitializeAsync()
    {
        _context = new Context();
        _authenticator = ZapAuthenticator.Start(_context);
        _authenticator.ConfigureCurve(ZapAuthenticator.AnyDomain, [_clientKeys.PublicKey]);
        _server = new ManagerServer(SocketSecurity.CurveServer(_serverKeys.SecretKey!), _context);
        _endpoint = _server.Bind("tcp://127.0.0.1:0");
        _serving = _server.RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _serving.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException)
        {
        }

        await _server.DisposeAsync();
        await _authenticator.DisposeAsync();
        await _context.DisposeAsync();
    }

    [Fact]
    public async Task AKnownClient_WithTheServersKey_UsesTheObjects()
    {
        await using var manager = Manager.Connect(_endpoint, new ManagerOptions { Security = SocketSecurity.CurveClient(_clientKeys.SecretKey!, _serverKeys.PublicKey) });
        var scores = manager.Dictionary<string, int>("scores");
        await scores.SetAsync("a", 1);
        Assert.Equal(1, await scores.GetAsync("a"));
    }

    [Fact]
    public async Task AnUnknownClient_OrAWrongServerKey_OrNoSecurity_NeverGetsIn_AndTheKnownOneStillDoes()
    {
        var fast = TimeSpan.FromMilliseconds(500);
        var stranger = CurveKeyPair.Generate();
        await using var unknown = Manager.Connect(_endpoint, new ManagerOptions { ConnectTimeout = fast, Security = SocketSecurity.CurveClient(stranger.SecretKey!, _serverKeys.PublicKey) });
        await using var wrongServer = Manager.Connect(_endpoint, new ManagerOptions { ConnectTimeout = fast, Security = SocketSecurity.CurveClient(_clientKeys.SecretKey!, CurveKeyPair.Generate().PublicKey) });
        await using var plain = Manager.Connect(_endpoint, new ManagerOptions { ConnectTimeout = fast });
        foreach (var refused in new[] { unknown, wrongServer, plain })
            Assert.Throws<ManagerUnavailableException>(() => refused.List<int>("x"));

        await using var known = Manager.Connect(_endpoint, new ManagerOptions { Security = SocketSecurity.CurveClient(_clientKeys.SecretKey!, _serverKeys.PublicKey) });
        var list = known.List<int>("x");
        list.Add(5);
        Assert.Equal([5], list.ToArray());
    }

    [Fact]
    public async Task SecurityFor_StartAsync_OrAClientSideServer_IsRefusedClearly()
    {
        var start = await Assert.ThrowsAsync<ArgumentException>(() => Manager.StartAsync(new ManagerOptions { Security = SocketSecurity.CurveClient(_clientKeys.SecretKey!, _serverKeys.PublicKey) }));
        Assert.Contains("ManagerServer", start.Message, StringComparison.Ordinal);
        var server = Assert.Throws<ArgumentException>(() => new ManagerServer(SocketSecurity.CurveClient(_clientKeys.SecretKey!, _serverKeys.PublicKey)));
        Assert.Contains("server side", server.Message, StringComparison.Ordinal);
    }
}
