using System.Collections.Frozen;
using System.Text;
using Baton.Internal;
using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Security;

/// <summary>
/// The ZAP authenticator (RFC 27) between Baton sockets: PLAIN passwords, allow and deny lists, NULL with a
/// ZAP domain, and what happens when the handler is missing, goes away or answers nonsense. A refused peer
/// delivers nothing, and the server keeps serving the others.
/// </summary>
public class ZapAuthenticatorTests
{
    private static readonly Dictionary<string, string> s_users = new() { ["admin"] = "secret", ["guest"] = "guest" };
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(300);

    private static SocketOptions PlainServer => TestUtil.Quick with { Security = SocketSecurity.PlainServer() };

    private static SocketOptions PlainClient(string user, string password) => TestUtil.Quick with { Security = SocketSecurity.PlainClient(user, password) };

    [Fact]
    public async Task Plain_RightPassword_GetsIn_WithItsUserName()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("*", s_users);
        await using var server = new PullSocket(PlainServer, context);
        await using var client = new PushSocket(PlainClient("admin", "secret"), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));

        await client.SendOrFail(new Message("hello"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("hello", received[0].ToString());
        Assert.Equal("admin", received.UserId);
        Assert.Contains(logs.Entries, e => e.EventId == 8101 && e.Message.Contains("admin"));
    }

    [Fact]
    public async Task Plain_WrongPassword_IsRefused_DeliversNothing_AndTheServerServesTheNextClient()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("*", s_users);
        await using var server = new PullSocket(PlainServer, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");

        await using (var intruder = new PushSocket(PlainClient("admin", "guess"), context))
        {
            intruder.Connect(endpoint);
            intruder.TrySend(new Message("intruder"), TimeSpan.Zero);
            var refusal = await logs.WaitForAsync(e => e.EventId == 8100);
            Assert.Contains("Invalid password", refusal.Message);
            Assert.DoesNotContain("guess", refusal.Message);

            // The server says ERROR 400, and the client stops trying (RFC 37).
            await logs.WaitForAsync(e => e.EventId == 6 && e.Message.Contains("400"));
            await logs.WaitForDropAsync("refused by the ZAP handler: 400");
            Assert.False(server.TryReceive(out _, s_quiet));
        }

        await using var user = new PushSocket(PlainClient("guest", "guest"), context);
        user.Connect(endpoint);
        await user.SendOrFail(new Message("welcome"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("welcome", received[0].ToString());
        Assert.Equal("guest", received.UserId);
        Assert.False(server.TryReceive(out _, s_quiet));
    }

    [Fact]
    public async Task Plain_UnknownUser_AndNoPasswordsForTheDomain_AreRefused()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("inside", s_users);
        await using var server = new PullSocket(PlainServer with { ZapDomain = "outside" }, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using var client = new PushSocket(PlainClient("admin", "secret"), context);
        client.Connect(endpoint);
        Assert.Contains("No passwords for domain 'outside'", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);

        await using var inside = new PullSocket(PlainServer with { ZapDomain = "inside" }, context);
        await using var stranger = new PushSocket(PlainClient("nobody", "secret"), context);
        stranger.Connect(inside.Bind("tcp://127.0.0.1:0"));
        await logs.WaitForAsync(e => e.EventId == 8100 && e.Message.Contains("Invalid username") && e.Message.Contains("nobody"));
        Assert.False(inside.TryReceive(out _, TimeSpan.Zero));
    }

    [Fact]
    public async Task Plain_WithoutAnAuthenticator_NobodyGetsIn()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var server = new PullSocket(PlainServer, context);
        await using var client = new PushSocket(PlainClient("admin", "secret"), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        client.TrySend(new Message("x"), TimeSpan.Zero);
        await logs.WaitForDropAsync("no ZAP handler is bound");
        Assert.False(server.TryReceive(out _, s_quiet));
    }

    [Fact]
    public async Task Plain_ConfigurationChanges_ApplyToTheNextHandshake()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        await using var server = new PullSocket(PlainServer, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using (var early = new PushSocket(PlainClient("admin", "secret"), context))
        {
            early.Connect(endpoint);
            Assert.Contains("No passwords defined", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);
        }

        // Changed from other threads while the authenticator runs.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => auth.ConfigurePlain($"d{i}", s_users))));
        auth.ConfigurePlain("*", s_users);
        await using var later = new PushSocket(PlainClient("admin", "secret"), context);
        later.Connect(endpoint);
        await later.SendOrFail(new Message("now"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("admin", received.UserId);
    }

    [Fact]
    public async Task Null_WithAZapDomain_IsCheckedAgainstTheDenyList()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.Deny("127.0.0.1");
        await using var server = new PullSocket(TestUtil.Quick with { ZapDomain = "global" }, context);
        await using var client = new PushSocket(TestUtil.Quick, context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        client.TrySend(new Message("x"), TimeSpan.Zero);
        var refusal = await logs.WaitForAsync(e => e.EventId == 8100);
        Assert.Contains("127.0.0.1 is in the deny list", refusal.Message);
        Assert.Contains("global", refusal.Message);
        await logs.WaitForDropAsync("refused by the ZAP handler: 400");
        Assert.False(server.TryReceive(out _, s_quiet));
    }

    [Fact]
    public async Task Null_WithoutAZapDomain_NeverAsksTheAuthenticator()
    {
        // As libzmq: NULL consults ZAP only when ZMQ_ZAP_DOMAIN is set.
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.Deny("127.0.0.1");
        await using var server = new PullSocket(TestUtil.Quick, context);
        await using var client = new PushSocket(TestUtil.Quick, context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        await client.SendOrFail(new Message("x"));
        using var received = await server.ReceiveOrFail();
        Assert.Null(received.UserId);
        Assert.DoesNotContain(logs.Entries, e => e.EventId is 8100 or 8101);
    }

    [Fact]
    public async Task Null_WithAZapDomain_AndNoAuthenticator_GoesOn()
    {
        await using var context = new Context();
        await using var server = new PullSocket(TestUtil.Quick with { ZapDomain = "global" }, context);
        await using var client = new PushSocket(TestUtil.Quick, context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        await client.SendOrFail(new Message("x"));
        using var received = await server.ReceiveOrFail();
        Assert.Null(received.UserId);
    }

    [Fact]
    public async Task AllowList_LetsListedAddressesIn_AndRefusesOthers()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.Allow("192.0.2.1");
        await using var server = new PullSocket(TestUtil.Quick with { ZapDomain = "d" }, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using (var client = new PushSocket(TestUtil.Quick, context))
        {
            client.Connect(endpoint);
            Assert.Contains("127.0.0.1 not in the allow list", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);
        }

        auth.Allow("127.0.0.1");
        await using var allowed = new PushSocket(TestUtil.Quick, context);
        allowed.Connect(endpoint);
        await allowed.SendOrFail(new Message("in"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("anonymous", received.UserId);
    }

    [Fact]
    public async Task AllowList_DoesNotExcusePlainFromItsPassword()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var auth = ZapAuthenticator.Start(context);
        auth.Allow("127.0.0.1");
        auth.ConfigurePlain("*", s_users);
        await using var server = new PullSocket(PlainServer, context);
        await using var client = new PushSocket(PlainClient("admin", "wrong"), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        Assert.Contains("Invalid password", (await logs.WaitForAsync(e => e.EventId == 8100)).Message);
    }

    [Fact]
    public async Task AllowAndDeny_CannotBeMixed_AndOnlyOneAuthenticatorBindsPerContext()
    {
        await using var context = new Context();
        await using var auth = ZapAuthenticator.Start(context);
        auth.Allow("127.0.0.1");
        Assert.Throws<InvalidOperationException>(() => auth.Deny("10.0.0.1"));
        Assert.Throws<EndpointInUseException>(() => ZapAuthenticator.Start(context));
        Assert.Throws<ArgumentException>(() => auth.ConfigureCurve("*", [new byte[31]]));
    }

    [Fact]
    public async Task AHandlerThatGoesAway_RefusesThePeersItDidNotAnswer()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var server = new PullSocket(PlainServer, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using (var silent = new RouterSocket(TestUtil.Quick, context))
        {
            silent.Bind(ZapAuthenticator.Endpoint);
            await using var client = new PushSocket(PlainClient("admin", "secret"), context);
            client.Connect(endpoint);
            using var request = await silent.ReceiveOrFail();
            Assert.Equal(["", "1.0"], request.ToStrings()[1..3]);
            Assert.Equal(["", "127.0.0.1", "", "PLAIN", "admin", "secret"], request.ToStrings()[4..]);
        }

        await logs.WaitForDropAsync("the ZAP handler went away before answering");

        // A handler bound again is used.
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("*", s_users);
        await using var next = new PushSocket(PlainClient("admin", "secret"), context);
        next.Connect(endpoint);
        await next.SendOrFail(new Message("after"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("after", received[0].ToString());
    }

    [Fact]
    public async Task AHandlerThatNeverAnswers_LeavesThePeerToTheHandshakeTimeout()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var server = new PullSocket(PlainServer with { HandshakeInterval = TimeSpan.FromMilliseconds(300) }, context);
        await using var silent = new RouterSocket(TestUtil.Quick, context);
        silent.Bind(ZapAuthenticator.Endpoint);
        await using var client = new PushSocket(PlainClient("admin", "secret"), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        using var request = await silent.ReceiveOrFail();
        await logs.WaitForDropAsync("did not complete in time");

        // The late answer finds nobody waiting: it is ignored, and the server goes on.
        await silent.SendOrFail(new Message(request[0].ToArray(), Frame.Empty, "1.0", request[3].ToString(), "200", "OK", "admin", ""));
        await logs.WaitForAsync(e => e.EventId == 8141);
        Assert.False(server.TryReceive(out _, TimeSpan.Zero));
    }

    [Fact]
    public async Task ASocketClosedWhileItsHandshakeWaitsForZap_ClosesAtOnce_AndForgetsTheRequest()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();

        // No handshake timer: only the socket's close can end the wait.
        var server = new PullSocket(PlainServer with { HandshakeInterval = TimeSpan.Zero, Linger = TimeSpan.Zero }, context);
        await using var silent = new RouterSocket(TestUtil.Quick, context);
        silent.Bind(ZapAuthenticator.Endpoint);
        await using var client = new PushSocket(PlainClient("admin", "secret"), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        using var request = await silent.ReceiveOrFail();

        await server.DisposeAsync().AsTask().WaitAsync(TestUtil.Timeout);

        // The answer that comes after finds nobody waiting.
        await silent.SendOrFail(new Message(request[0].ToArray(), Frame.Empty, "1.0", request[3].ToString(), "200", "OK", "admin", ""));
        await logs.WaitForAsync(e => e.EventId == 8141);
    }

    [Theory]
    [InlineData("999", "ok", "status code '999'")]
    [InlineData("2.0", "200", "version '2.0'")]
    public async Task AMalformedReply_RefusesThePeer_AndIsLogged(string versionOrStatus, string other, string logged)
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var server = new PullSocket(PlainServer, context);
        await using var handler = new RouterSocket(TestUtil.Quick, context);
        handler.Bind(ZapAuthenticator.Endpoint);
        await using var client = new PushSocket(PlainClient("admin", "secret"), context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        using var request = await handler.ReceiveOrFail();
        var (version, status) = versionOrStatus == "2.0" ? ("2.0", other) : ("1.0", versionOrStatus);
        await handler.SendOrFail(new Message(request[0].ToArray(), Frame.Empty, version, request[3].ToString(), status, "text", "user", ""));
        var malformed = await logs.WaitForAsync(e => e.EventId == 8140);
        Assert.Contains(logged, malformed.Message);
        await logs.WaitForDropAsync("malformed ZAP reply");
        Assert.False(server.TryReceive(out _, TimeSpan.Zero));
    }

    [Fact]
    public async Task ManyHandshakes_WaitForTheHandler_AtOnce_AndEachGetsItsOwnAnswer()
    {
        await using var context = new Context();
        await using var server = new RouterSocket(PlainServer, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using var handler = new RouterSocket(TestUtil.Quick, context);
        handler.Bind(ZapAuthenticator.Endpoint);
        var clients = new List<DealerSocket>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var client = new DealerSocket(PlainClient($"user{i}", "pw"), context);
                clients.Add(client);
                client.Connect(endpoint);
            }

            // Hold every request, then answer them in reverse order: replies match by request id.
            var requests = new List<Message>();
            for (var i = 0; i < 5; i++)
            {
                requests.Add(await handler.ReceiveOrFail());
            }

            foreach (var request in Enumerable.Reverse(requests))
            {
                var user = request[8].ToString();
                await handler.SendOrFail(new Message(request[0].ToArray(), Frame.Empty, "1.0", request[3].ToString(), "200", "OK", "id-" + user, ""));
                request.Dispose();
            }

            for (var i = 0; i < 5; i++)
            {
                await clients[i].SendOrFail(new Message($"from user{i}"));
            }

            for (var i = 0; i < 5; i++)
            {
                using var received = await server.ReceiveOrFail();
                Assert.Equal("id-" + received[1].ToString()["from ".Length..], received.UserId);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public void Decide_FollowsPyzmqsRules()
    {
        var policy = ZapAuthenticator.Policy.Empty;
        byte[][] plain = [Encoding.UTF8.GetBytes("admin"), Encoding.UTF8.GetBytes("secret")];
        var key = new byte[32];
        key[0] = 7;

        // Nothing configured: NULL passes, PLAIN and CURVE do not.
        Assert.True(ZapAuthenticator.Decide(policy, "", "10.0.0.1", "NULL", []).Allowed);
        Assert.Equal("No passwords defined", ZapAuthenticator.Decide(policy, "", "10.0.0.1", "PLAIN", plain).Reason);
        Assert.False(ZapAuthenticator.Decide(policy, "", "10.0.0.1", "CURVE", [key]).Allowed);
        Assert.Equal("Invalid credentials", ZapAuthenticator.Decide(policy, "", "10.0.0.1", "PLAIN", [plain[0]]).Reason);
        Assert.Equal("Invalid credentials", ZapAuthenticator.Decide(policy, "", "10.0.0.1", "CURVE", [new byte[5]]).Reason);
        Assert.False(ZapAuthenticator.Decide(policy, "", "10.0.0.1", "GSSAPI", [key]).Allowed);

        var users = new Dictionary<string, string> { ["admin"] = "secret" }.ToFrozenDictionary();
        var keys = new[] { Z85Codec.Encode(key) }.ToFrozenSet();
        policy = policy with
        {
            Passwords = new Dictionary<string, System.Collections.Frozen.FrozenDictionary<string, string>> { ["*"] = users }.ToFrozenDictionary(),
            CurveKeys = new Dictionary<string, System.Collections.Frozen.FrozenSet<string>?> { ["keys"] = keys, ["open"] = null }.ToFrozenDictionary(),
        };
        var allowed = ZapAuthenticator.Decide(policy, "any", "10.0.0.1", "PLAIN", plain);
        Assert.True(allowed.Allowed);
        Assert.Equal("admin", allowed.UserId);
        var curve = ZapAuthenticator.Decide(policy, "keys", "10.0.0.1", "CURVE", [key]);
        Assert.True(curve.Allowed);
        Assert.Equal(Z85Codec.Encode(key), curve.UserId);
        Assert.Equal("Unknown key", ZapAuthenticator.Decide(policy, "keys", "10.0.0.1", "CURVE", [new byte[32]]).Reason);
        Assert.True(ZapAuthenticator.Decide(policy, "open", "10.0.0.1", "CURVE", [new byte[32]]).Allowed);
        Assert.Equal("No CURVE keys for domain 'other'", ZapAuthenticator.Decide(policy, "other", "10.0.0.1", "CURVE", [key]).Reason);

        // An allowed address is no password.
        var listed = policy with { Allowed = new[] { "10.0.0.1" }.ToFrozenSet() };
        Assert.Equal("Invalid password", ZapAuthenticator.Decide(listed, "", "10.0.0.1", "PLAIN", [plain[0], [1]]).Reason);
        Assert.True(ZapAuthenticator.Decide(listed, "", "10.0.0.1", "GSSAPI", [key]).Allowed);
        Assert.False(ZapAuthenticator.Decide(listed, "", "10.0.0.2", "NULL", []).Allowed);
        var denied = policy with { Denied = new[] { "10.0.0.1" }.ToFrozenSet() };
        Assert.False(ZapAuthenticator.Decide(denied, "", "10.0.0.1", "PLAIN", plain).Allowed);
        Assert.True(ZapAuthenticator.Decide(denied, "", "10.0.0.2", "PLAIN", plain).Allowed);
    }
}
