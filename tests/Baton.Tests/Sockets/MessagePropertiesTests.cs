using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Baton.Wire;
using Xunit;

namespace Baton.Tests.Sockets;

/// <summary>
/// What a received message tells of the connection it came through (libzmq's zmq_msg_gets): User-Id and
/// metadata from the ZAP handler, the peer's handshake metadata, its address.
/// </summary>
public class MessagePropertiesTests
{
    [Fact]
    public async Task APlainPeer_LetIn_CarriesUserId_SocketType_Identity_AndPeerAddress()
    {
        await using var context = new Context();
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigurePlain("*", new Dictionary<string, string> { ["admin"] = "secret" });
        await using var server = new RouterSocket(TestUtil.Quick with { Security = SocketSecurity.PlainServer() }, context);
        await using var client = new DealerSocket(TestUtil.Quick with { Security = SocketSecurity.PlainClient("admin", "secret"), Identity = "client-1"u8.ToArray() }, context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));
        await client.SendOrFail(new Message("one"));
        await client.SendOrFail(new Message("two"));

        foreach (var expected in new[] { "one", "two" })
        {
            using var received = await server.ReceiveOrFail();
            Assert.Equal(["client-1", expected], received.ToStrings());
            Assert.Equal("admin", received.UserId);
            Assert.Equal("admin", received.GetProperty("User-Id"));
            Assert.Equal("DEALER", received.GetProperty("Socket-Type"));
            Assert.Equal("dealer", received.GetProperty("socket-type")?.ToLowerInvariant());
            Assert.Equal("client-1", received.GetProperty("Identity"));
            Assert.Equal("127.0.0.1", received.GetProperty("Peer-Address"));
            Assert.Null(received.GetProperty("X-Nothing"));
        }

        // The client side heard the server's READY: its metadata is there too, but no ZAP verdict.
        await server.SendOrFail(new Message("client-1", "back"));
        using var reply = await client.ReceiveOrFail();
        Assert.Null(reply.UserId);
        Assert.Equal("ROUTER", reply.GetProperty("Socket-Type"));
    }

    [Fact]
    public async Task ZapMetadata_ReachesTheMessages_AndWinsOverThePeersOwn()
    {
        await using var context = new Context();
        await using var handler = new RouterSocket(TestUtil.Quick, context);
        handler.Bind(ZapAuthenticator.Endpoint);
        await using var server = new PullSocket(TestUtil.Quick with { ZapDomain = "d" }, context);
        await using var client = new PushSocket(TestUtil.Quick, context);
        client.Connect(server.Bind("tcp://127.0.0.1:0"));

        using var request = await handler.ReceiveOrFail();
        Assert.Equal("NULL", request[7].ToString());
        var metadata = new MetadataWriter();
        metadata.Add("X-Role", "operator"u8);
        metadata.Add("Socket-Type", "FROM-ZAP"u8);
        await handler.SendOrFail(new Message(request[0].ToArray(), Frame.Empty, "1.0", request[3].ToString(), "200", "OK", "alice", metadata.ToArray()));

        await client.SendOrFail(new Message("m"));
        using var received = await server.ReceiveOrFail();
        Assert.Equal("alice", received.UserId);
        Assert.Equal("operator", received.GetProperty("X-Role"));
        Assert.Equal("FROM-ZAP", received.GetProperty("Socket-Type"));
    }

    [Fact]
    public async Task WithoutZap_UserIdIsNull_AndTheHandshakeMetadataIsThere()
    {
        await using var context = new Context();
        await using var server = new PullSocket(TestUtil.Quick, context);
        await using var client = new PushSocket(TestUtil.Quick, context);
        client.Connect(server.Bind(TestUtil.Endpoint("ipc")));
        await client.SendOrFail(new Message("m"));
        using var received = await server.ReceiveOrFail();
        Assert.Null(received.UserId);
        Assert.Equal("PUSH", received.GetProperty("Socket-Type"));

        // ipc has no IP address.
        Assert.Null(received.GetProperty("Peer-Address"));
    }

    [Fact]
    public async Task APeerNamingUserIdOrPeerAddressInItsReady_ForgesNeither()
    {
        await using var context = new Context();
        await using var server = new PullSocket(TestUtil.Quick, context);
        using var raw = await RawPeer.ConnectAsync(server.Bind("tcp://127.0.0.1:0"));
        await raw.SendAsync(RawZmtp.Greeting(), RawZmtp.Command("READY",
            RawZmtp.Property("Socket-Type", "PUSH"u8.ToArray()),
            RawZmtp.Property("user-id", "root"u8.ToArray()),
            RawZmtp.Property("Peer-Address", "10.9.9.9"u8.ToArray())));
        await raw.SendAsync(RawZmtp.Frame(0x00, "m"u8.ToArray()));

        using var received = await server.ReceiveOrFail();
        Assert.Null(received.UserId);
        Assert.Null(received.GetProperty("User-Id"));
        Assert.Equal("127.0.0.1", received.GetProperty("Peer-Address"));
        Assert.Equal("PUSH", received.GetProperty("Socket-Type"));
    }

    [Fact]
    public async Task MessagesMadeHere_OrComingOverInproc_HaveNoProperties()
    {
        using var local = new Message("x");
        Assert.Null(local.UserId);
        Assert.Null(local.GetProperty("Socket-Type"));

        await using var context = new Context();
        await using var server = new PullSocket(TestUtil.Quick, context);
        await using var client = new PushSocket(TestUtil.Quick, context);
        var endpoint = TestUtil.Endpoint("inproc");
        server.Bind(endpoint);
        client.Connect(endpoint);
        await client.SendOrFail(new Message("m"));
        using var received = await server.ReceiveOrFail();
        Assert.Null(received.GetProperty("Socket-Type"));
    }

    [Fact]
    public void ABodyBackInThePool_ForgetsItsProperties_AndADisposedMessageThrows()
    {
        var properties = new MessageProperties([new("User-Id", "u"), new("User-Id", "ignored"), new("Socket-Type", "PUSH")]);
        Assert.Equal("u", properties.UserId);
        var body = MessageBody.Copy("x"u8);
        body.Properties = properties;
        var message = new Message(body);
        Assert.Equal("u", message.UserId);
        Assert.Equal("PUSH", message.GetProperty("SOCKET-TYPE"));

        message.Dispose();
        Assert.Null(body.Properties);
        Assert.Throws<ObjectDisposedException>(() => message.UserId);
        Assert.Throws<ObjectDisposedException>(() => message.GetProperty("User-Id"));
    }
}
