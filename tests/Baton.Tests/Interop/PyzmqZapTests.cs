using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Interop;

/// <summary>
/// PLAIN and ZAP against real libzmq (pyzmq): PLAIN both ways, a pyzmq ThreadAuthenticator judging a Baton
/// client, and Baton's authenticator judging a pyzmq client, each accepting and refusing, with PLAIN passwords,
/// address lists and CURVE key folders (zmq.auth's layout, written by Baton and read by pyzmq).
/// </summary>
public class PyzmqZapTests
{
    private static readonly Dictionary<string, string> s_users = new() { ["admin"] = "secret" };

    private static SocketOptions PlainClient(string user, string password) => TestUtil.Quick with { Security = SocketSecurity.PlainClient(user, password) };

    private static Dictionary<string, object> PyPlainClient(string user, string password) => new() { ["PLAIN_USERNAME"] = user, ["PLAIN_PASSWORD"] = password };

    [Fact]
    public async Task PyzmqPlainClient_BatonAuthenticator_RightPassword_GetsIn()
    {
        await using var context = new Context();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("*", s_users);
        await using var server = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.PlainServer() }, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using var push = await PyzmqPeer.StartAsync("PUSH", PyPlainClient("admin", "secret"));
        await push.ConnectAsync(endpoint);
        await push.SendAsync("from libzmq"u8.ToArray());
        using var received = await server.ReceiveOrFail();
        Assert.Equal("from libzmq", received[0].ToString());
        Assert.Equal("admin", received.UserId);
        Assert.Equal("PUSH", received.GetProperty("Socket-Type"));
    }

    [Fact]
    public async Task PyzmqPlainClient_BatonAuthenticator_WrongPassword_IsRefused_WithAnAuthFailure()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("*", s_users);
        await using var server = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.PlainServer() }, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using var push = await PyzmqPeer.StartAsync("PUSH", PyPlainClient("admin", "wrong"));
        await push.ConnectAsync(endpoint);
        Assert.Contains("Invalid password", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);

        // libzmq's PLAIN client looks for its own misencoded ERROR (0x5E "RROR", see PlainCommands.IsLibzmqError),
        // so our RFC 24 ERROR "400" reaches it as an unexpected command: a protocol failure, not an auth one.
        await WaitForEventAsync(push, "HANDSHAKE_FAILED_PROTOCOL");
        Assert.Equal(0, (await push.EventsAsync())["HANDSHAKE_SUCCEEDED"]);
        Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task BatonPlainClient_PyzmqThreadAuthenticator_RightPassword_GetsIn()
    {
        await using var pull = await PyzmqPeer.StartAsync("PULL", new() { ["PLAIN_SERVER"] = 1 });
        await pull.StartAuthenticatorAsync(passwords: s_users);
        var endpoint = await pull.BindAsync("tcp://127.0.0.1:0");
        await using var context = new Context();
        await using var push = new PushSocket(PlainClient("admin", "secret"), context);
        push.Connect(endpoint);
        await push.SendOrFail(new Message("from Baton"));
        Assert.Equal(["from Baton"], await pull.ReceiveAsync());
    }

    [Fact]
    public async Task BatonPlainClient_PyzmqThreadAuthenticator_WrongPassword_IsRefused_AndStopsTrying()
    {
        await using var pull = await PyzmqPeer.StartAsync("PULL", new() { ["PLAIN_SERVER"] = 1 });
        await pull.StartAuthenticatorAsync(passwords: s_users);
        var endpoint = await pull.BindAsync("tcp://127.0.0.1:0");
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var push = new PushSocket(PlainClient("admin", "wrong"), context);
        push.Connect(endpoint);
        push.TrySend(new Message("never"), TimeSpan.Zero);
        var refusal = await logs.WaitForAsync(e => e.EventId == 6);
        Assert.Contains("400", refusal.Message);
        Assert.Null(await pull.TryReceiveAsync(200));
    }

    [Fact]
    public async Task BatonNullClient_PyzmqThreadAuthenticator_DenyList_IsRefused()
    {
        await using var pull = await PyzmqPeer.StartAsync("PULL", new() { ["ZAP_DOMAIN"] = "global" });
        await pull.StartAuthenticatorAsync(deny: ["127.0.0.1"]);
        var endpoint = await pull.BindAsync("tcp://127.0.0.1:0");
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        Assert.Contains("400", (await logs.WaitForAsync(e => e.EventId == 6)).Message);
        await WaitForEventAsync(pull, "HANDSHAKE_FAILED_AUTH");
    }

    [Fact]
    public async Task PyzmqNullClient_BatonAuthenticator_AllowList_LetsItIn_DenyListKeepsItOut()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.Allow("127.0.0.1");
        await using var server = new PullSocket(TestUtil.Quick with { ZapDomain = "global" }, context);
        await using (var push = await PyzmqPeer.StartAsync("PUSH"))
        {
            await push.ConnectAsync(server.Bind("tcp://127.0.0.1:0"));
            await push.SendAsync("in"u8.ToArray());
            using var received = await server.ReceiveOrFail();
            Assert.Equal("anonymous", received.UserId);
        }

        await using var context2 = logs.NewContext();
        await using var auth2 = ZapAuthenticator.Start(context2);
        auth2.Deny("127.0.0.1");
        await using var server2 = new PullSocket(TestUtil.Quick with { ZapDomain = "global" }, context2);
        await using var denied = await PyzmqPeer.StartAsync("PUSH");
        await denied.ConnectAsync(server2.Bind("tcp://127.0.0.1:0"));
        Assert.Contains("deny list", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);
        await WaitForEventAsync(denied, "HANDSHAKE_FAILED_AUTH");
        Assert.False(server2.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BatonCurveClient_PyzmqThreadAuthenticator_WithAKeyFolder(bool known)
    {
        var folder = Directory.CreateTempSubdirectory("baton-zap-interop-").FullName;
        try
        {
            var serverKeys = CurveKeyPair.Generate();
            var clientKeys = CurveKeyPair.Generate();
            CurveKeyFiles.Write(folder, "listed", known ? clientKeys : CurveKeyPair.Generate());
            await using var pull = await PyzmqPeer.StartAsync("PULL", new() { ["CURVE_SERVER"] = 1, ["CURVE_SECRETKEY"] = serverKeys.SecretKeyZ85! });
            await pull.StartAuthenticatorAsync(curveFolder: folder);
            var endpoint = await pull.BindAsync("tcp://127.0.0.1:0");
            var logs = new LogCapture();
            await using var context = logs.NewContext();
            await using var push = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(clientKeys.SecretKey!, serverKeys.PublicKey) }, context);
            push.Connect(endpoint);
            if (known)
            {
                await push.SendOrFail(new Message("known key"));
                Assert.Equal(["known key"], await pull.ReceiveAsync());
            }
            else
            {
                push.TrySend(new Message("never"), TimeSpan.Zero);
                Assert.Contains("400", (await logs.WaitForAsync(e => e.EventId == 6)).Message);
                await WaitForEventAsync(pull, "HANDSHAKE_FAILED_AUTH");
                Assert.Null(await pull.TryReceiveAsync(200));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PyzmqCurveClient_BatonAuthenticator_WithAKeyFolder(bool known)
    {
        var folder = Directory.CreateTempSubdirectory("baton-zap-interop-").FullName;
        try
        {
            var serverKeys = CurveKeyPair.Generate();
            var clientKeys = CurveKeyPair.Generate();
            CurveKeyFiles.Write(folder, "listed", known ? clientKeys : CurveKeyPair.Generate());
            var logs = new LogCapture();
            await using var context = logs.NewContext();
            await using var auth = ZapAuthenticator.Start(context);
            auth.ConfigureCurve("*", folder);
            await using var server = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(serverKeys.SecretKey!) }, context);
            var endpoint = server.Bind("tcp://127.0.0.1:0");
            await using var push = await PyzmqPeer.StartAsync("PUSH", new()
            {
                ["CURVE_SERVERKEY"] = serverKeys.PublicKeyZ85,
                ["CURVE_PUBLICKEY"] = clientKeys.PublicKeyZ85,
                ["CURVE_SECRETKEY"] = clientKeys.SecretKeyZ85!,
            });
            await push.ConnectAsync(endpoint);
            if (known)
            {
                await push.SendAsync("from libzmq"u8.ToArray());
                using var received = await server.ReceiveOrFail();
                Assert.Equal("from libzmq", received[0].ToString());
                Assert.Equal(clientKeys.PublicKeyZ85, received.UserId);
            }
            else
            {
                Assert.Contains("Unknown key", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);

                // CURVE's ERROR is well formed in libzmq: it reads our "400" as a ZAP verdict.
                await WaitForEventAsync(push, "HANDSHAKE_FAILED_AUTH");
                Assert.False(server.TryReceive(out _, TimeSpan.FromMilliseconds(200)));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Polls the peer's monitor counts until <paramref name="name"/> was seen, or fails at the deadline.</summary>
    private static async Task WaitForEventAsync(PyzmqPeer peer, string name)
    {
        var deadline = DateTime.UtcNow + TestUtil.Timeout;
        while (true)
        {
            var events = await peer.EventsAsync();
            if (events[name] > 0)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the pyzmq peer saw no {name} event: {string.Join(", ", events)}");
            }

            await Task.Delay(20);
        }
    }
}
