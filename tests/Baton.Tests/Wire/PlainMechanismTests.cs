using System.Text;
using Baton.Wire;
using Baton.Wire.Mechanisms;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>The PLAIN handshake (RFC 24) command by command, on both sides, as libzmq 4.3 runs it.</summary>
public class PlainMechanismTests
{
    private static readonly byte[] s_metadata = Commands.ReadyMetadata("DEALER", []);

    private static byte[] Body(string name, ReadOnlySpan<byte> data) => Commands.Body(Encoding.ASCII.GetBytes(name), data);

    /// <summary>The command body inside a whole frame the mechanism returned (short frames: flags, size, body).</summary>
    private static byte[] BodyOf(byte[] frame)
    {
        Assert.Equal(Zmtp.FlagCommand, frame[0]);
        Assert.Equal(frame.Length - 2, frame[1]);
        return frame[2..];
    }

    [Fact]
    public void Client_SendsHello_WithLengthPrefixedNameAndPassword()
    {
        var client = new PlainClientMechanism("admin"u8.ToArray(), "secret"u8.ToArray());
        var frames = client.Start(s_metadata);
        var hello = BodyOf(Assert.Single(frames));
        Assert.Equal("\u0005HELLO\u0005admin\u0006secret", Encoding.ASCII.GetString(hello));
        Assert.False(client.AsServer);
        Assert.False(client.TransformsBytes);
    }

    [Fact]
    public void Client_AnswersWelcomeWithInitiate_AndReadyEndsTheHandshake()
    {
        var client = new PlainClientMechanism("u"u8.ToArray(), "p"u8.ToArray());
        client.Start(s_metadata);
        var replies = new List<byte[]>();
        Assert.Null(client.OnHandshakeCommand(Body("WELCOME", []), replies));
        var initiate = BodyOf(Assert.Single(replies));
        Assert.Equal(Body("INITIATE", s_metadata), initiate);

        replies.Clear();
        var metadata = client.OnHandshakeCommand(Body("READY", Commands.ReadyMetadata("ROUTER", [])), replies);
        Assert.NotNull(metadata);
        Assert.Equal("ROUTER", Encoding.ASCII.GetString(metadata["Socket-Type"]!));
        Assert.Empty(replies);
    }

    [Fact]
    public void Client_TakesError_AsAFinalRefusal()
    {
        var client = new PlainClientMechanism("u"u8.ToArray(), "p"u8.ToArray());
        client.Start(s_metadata);
        var error = Assert.Throws<PeerException>(() => client.OnHandshakeCommand(Commands.ErrorBody("400"), []));
        Assert.True(error.Fatal);
        Assert.Contains("400", error.Message);
    }

    [Fact]
    public void Client_TakesLibzmqsMisencodedError_AsAFinalRefusal()
    {
        // What a libzmq 4.3.4 PLAIN server sends for a wrong password (captured): "\x05ERROR" in C is 0x5E "RROR".
        var client = new PlainClientMechanism("u"u8.ToArray(), "p"u8.ToArray());
        client.Start(s_metadata);
        var error = Assert.Throws<PeerException>(() => client.OnHandshakeCommand(Convert.FromHexString("5E52524F5203343030"), []));
        Assert.True(error.Fatal);
        Assert.EndsWith("refused the handshake: 400", error.Message);
    }

    [Theory]
    [InlineData("READY")]
    [InlineData("INITIATE")]
    [InlineData("HELLO")]
    public void Client_RefusesAnythingButWelcomeFirst(string command)
    {
        var client = new PlainClientMechanism("u"u8.ToArray(), "p"u8.ToArray());
        client.Start(s_metadata);
        var error = Assert.Throws<PeerException>(() => client.OnHandshakeCommand(Body(command, s_metadata), []));
        Assert.False(error.Fatal);
        Assert.Contains(command, error.Message);
    }

    [Fact]
    public void Client_RefusesAWelcomeWithData()
        => Assert.Throws<PeerException>(() => new PlainClientMechanism([], []).OnHandshakeCommand(Body("WELCOME", [1]), []));

    [Fact]
    public void Server_AsksZapWithTheCredentials_ThenWelcomes_ThenReadiesOnInitiate()
    {
        var server = new PlainServerMechanism();
        Assert.True(server.AsServer);
        Assert.Empty(server.Start(s_metadata));
        var replies = new List<byte[]>();
        Assert.Null(server.OnHandshakeCommand(Body("HELLO", PlainCommands.HelloData("admin"u8, "secret"u8)), replies));
        Assert.Empty(replies);

        var request = server.TakeZapRequest();
        Assert.NotNull(request);
        Assert.Equal("PLAIN", request.Mechanism);
        Assert.Equal(["admin", "secret"], request.Credentials.Select(c => Encoding.UTF8.GetString(c)));
        Assert.Null(server.TakeZapRequest());

        Assert.Null(server.OnZapReply(new ZapReply("200", "OK", "admin", []), replies));
        Assert.Equal(Body("WELCOME", []), BodyOf(Assert.Single(replies)));

        replies.Clear();
        var metadata = server.OnHandshakeCommand(Body("INITIATE", Commands.ReadyMetadata("DEALER", "id"u8)), replies);
        Assert.NotNull(metadata);
        Assert.Equal("id", Encoding.ASCII.GetString(metadata["Identity"]!));
        Assert.Equal(Body("READY", s_metadata), BodyOf(Assert.Single(replies)));
    }

    [Theory]
    [InlineData("400", true)]
    [InlineData("500", true)]
    [InlineData("300", false)]
    public void Server_RefusedByZap_SendsErrorWithTheStatusCode_ExceptForTemporaryFailures(string status, bool sendsError)
    {
        var server = HelloReceived();
        var replies = new List<byte[]>();
        var error = Assert.Throws<PeerException>(() => server.OnZapReply(new ZapReply(status, "Invalid password", "", []), replies));
        Assert.Contains(status, error.Message);
        Assert.Contains("Invalid password", error.Message);
        if (sendsError)
        {
            Assert.Equal(Commands.ErrorBody(status), BodyOf(Assert.Single(replies)));
        }
        else
        {
            Assert.Empty(replies);
        }
    }

    [Fact]
    public void Server_WithoutAZapHandler_RefusesWithoutAnError()
    {
        // libzmq 4.3.4 plain_server.cpp: zap_connect fails -> handshake fails, no ERROR command.
        var server = HelloReceived();
        var replies = new List<byte[]>();
        var error = Assert.Throws<PeerException>(() => server.OnZapReply(null, replies));
        Assert.Contains("no ZAP handler", error.Message);
        Assert.Empty(replies);
    }

    [Fact]
    public void Server_Refusal_EscapesTheUserName_SoAPeerCannotForgeLogLines()
    {
        var server = new PlainServerMechanism();
        server.Start(s_metadata);
        server.OnHandshakeCommand(Body("HELLO", PlainCommands.HelloData("eve\nINFO admin logged in"u8, "p"u8)), []);
        Assert.NotNull(server.TakeZapRequest());
        var error = Assert.Throws<PeerException>(() => server.OnZapReply(new ZapReply("400", "Invalid username", "", []), []));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("'eve?INFO admin logged in'", error.Message);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 5, (byte)'a' })]
    [InlineData(new byte[] { 1, (byte)'a' })]
    [InlineData(new byte[] { 1, (byte)'a', 2, (byte)'b' })]
    [InlineData(new byte[] { 1, (byte)'a', 1, (byte)'b', 0 })]
    public void Server_RefusesAMalformedHello(byte[] data)
    {
        var server = new PlainServerMechanism();
        server.Start(s_metadata);
        var error = Assert.Throws<PeerException>(() => server.OnHandshakeCommand(Body("HELLO", data), []));
        Assert.Contains("malformed PLAIN HELLO", error.Message);
        Assert.Null(server.TakeZapRequest());
    }

    [Fact]
    public void Server_AcceptsEmptyNameAndPassword()
    {
        var server = new PlainServerMechanism();
        server.Start(s_metadata);
        server.OnHandshakeCommand(Body("HELLO", [0, 0]), []);
        Assert.Equal([[], []], server.TakeZapRequest()!.Credentials);
    }

    [Fact]
    public void Server_RefusesACommandBeforeZapAnswers_AndInitiateBeforeHello()
    {
        var waiting = HelloReceived();
        Assert.Contains("before the ZAP handler answered", Assert.Throws<PeerException>(() => waiting.OnHandshakeCommand(Body("INITIATE", s_metadata), [])).Message);

        var fresh = new PlainServerMechanism();
        fresh.Start(s_metadata);
        Assert.Contains("waiting for HELLO", Assert.Throws<PeerException>(() => fresh.OnHandshakeCommand(Body("INITIATE", s_metadata), [])).Message);
    }

    [Fact]
    public void Server_RefusesMalformedInitiateMetadata()
    {
        var server = HelloReceived();
        server.OnZapReply(new ZapReply("200", "OK", "u", []), []);
        Assert.Throws<PeerException>(() => server.OnHandshakeCommand(Body("INITIATE", [11, (byte)'S']), []));
    }

    private static PlainServerMechanism HelloReceived()
    {
        var server = new PlainServerMechanism();
        server.Start(s_metadata);
        server.OnHandshakeCommand(Body("HELLO", PlainCommands.HelloData("u"u8, "p"u8)), []);
        Assert.NotNull(server.TakeZapRequest());
        return server;
    }
}
