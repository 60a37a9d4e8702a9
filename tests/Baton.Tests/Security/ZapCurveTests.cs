using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Security;

/// <summary>
/// CURVE servers and the ZAP authenticator between Baton sockets: client keys from a folder of zmq.auth
/// key files, from bytes, or any key; unlike NetMQ, a key the authenticator does not know stays out.
/// </summary>
public sealed class ZapCurveTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("baton-zap-curve-").FullName;
    private readonly CurveKeyPair _server = CurveKeyPair.Generate();
    private readonly CurveKeyPair _known = CurveKeyPair.Generate();
    private readonly CurveKeyPair _stranger = CurveKeyPair.Generate();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private SocketOptions Server => TestUtil.Quick with { Security = SocketSecurity.CurveServer(_server.SecretKey!) };

    private SocketOptions Client(CurveKeyPair keys) => TestUtil.Quick with { Security = SocketSecurity.CurveClient(keys.SecretKey!, _server.PublicKey) };

    [Fact]
    public async Task KeysFromAFolder_LetTheKnownClientIn_WithItsKeyAsUserId_AndKeepTheStrangerOut()
    {
        CurveKeyFiles.Write(_folder, "known", _known);
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigureCurve("*", _folder);
        await using var server = new PullSocket(Server, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");

        await using (var stranger = new PushSocket(Client(_stranger), context))
        {
            stranger.Connect(endpoint);
            stranger.TrySend(new Message("stranger"), TimeSpan.Zero);
            var refusal = await logs.WaitForAsync(e => e.EventId == 8100);
            Assert.Contains("Unknown key", refusal.Message);
            Assert.Contains(_stranger.PublicKeyZ85, refusal.Message);
            await logs.WaitForAsync(e => e.EventId == 6 && e.Message.Contains("400"));
        }

        await using var known = new PushSocket(Client(_known), context);
        known.Connect(endpoint);
        await known.SendOrFail(new Message("known"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("known", received[0].ToString());
        Assert.Equal(_known.PublicKeyZ85, received.UserId);
        Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task WithoutAnAuthenticator_AnyClientKeyGetsIn_AsInLibzmq()
    {
        await using var context = new Context();
        await using var server = new PullSocket(Server, context);
        await using var client = new PushSocket(Client(_stranger), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        await client.SendOrFail(new Message("in"));
        using var received = await server.ReceiveOrFail();
        Assert.Null(received.UserId);
    }

    [Fact]
    public async Task AnAuthenticatorWithoutCurveKeys_RefusesEveryCurveClient()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        await using var server = new PullSocket(Server, context);
        await using var client = new PushSocket(Client(_known), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        Assert.Contains("No CURVE keys for domain ''", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);
        Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task AllowAnyCurveKey_LetsAnyKeyIn_PerDomain()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.AllowAnyCurveKey("open");
        auth.ConfigureCurve("closed", [_known.PublicKey]);
        await using var open = new PullSocket(Server with { ZapDomain = "open" }, context);
        await using var closed = new PullSocket(Server with { ZapDomain = "closed" }, context);
        await using var toOpen = new PushSocket(Client(_stranger), context);
        toOpen.Connect(open.Bind("tcp://127.0.0.1:0"));
        await toOpen.SendOrFail(new Message("open"));
        using (var received = await open.ReceiveOrFail())
        {
            Assert.Equal(_stranger.PublicKeyZ85, received.UserId);
        }

        await using var toClosed = new PushSocket(Client(_stranger), context);
        toClosed.Connect(closed.Bind("tcp://127.0.0.1:0"));
        var refusal = await logs.WaitForAsync(e => e.EventId == 8100);
        Assert.Contains("'closed'", refusal.Message);
        Assert.Contains("Unknown key", refusal.Message);
    }

    [Fact]
    public async Task ConfigureCurve_FromAMissingFolder_Throws()
    {
        await using var context = new Context();
        await using var auth = ZapAuthenticator.Start(context);
        Assert.Throws<DirectoryNotFoundException>(() => auth.ConfigureCurve("*", Path.Combine(_folder, "missing")));
    }
}
