using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// Hostile CURVE clients against a Baton CURVE server (a PULL): every tampered, truncated, replayed or
/// out-of-order command is refused (the attacker's connection is closed and nothing it sent is delivered),
/// the refusal is logged with its reason, and a legitimate CURVE client keeps exchanging messages with the
/// server during and after each attack.
/// </summary>
public class CurveHostileTests
{
    /// <summary>A CURVE PULL server with a legitimate CURVE PUSH client connected, and the logs of both.</summary>
    internal sealed class Server : IAsyncDisposable
    {
        private int _sent;

        private Server(LogCapture logs, Context context, PullSocket pull, PushSocket legit, string endpoint, byte[] serverPublic, byte[] serverSecret)
        {
            Logs = logs;
            Context = context;
            Pull = pull;
            Legit = legit;
            Endpoint = endpoint;
            ServerPublic = serverPublic;
            ServerSecret = serverSecret;
        }

        public LogCapture Logs { get; }

        public Context Context { get; }

        public PullSocket Pull { get; }

        public PushSocket Legit { get; }

        public string Endpoint { get; }

        public byte[] ServerPublic { get; }

        public byte[] ServerSecret { get; }

        public static async Task<Server> StartAsync(TimeSpan? handshakeInterval = null, (byte[] Public, byte[] Secret)? serverKeys = null)
        {
            var logs = new LogCapture();
            var context = logs.NewContext();
            var (serverPublic, serverSecret) = serverKeys ?? CurveRawClient.NewKeyPair();
            var pull = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(serverSecret), HandshakeInterval = handshakeInterval ?? TimeSpan.FromSeconds(5) }, context);
            var endpoint = pull.Bind("tcp://127.0.0.1:0");
            var (_, clientSecret) = CurveRawClient.NewKeyPair();
            var legit = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(clientSecret, serverPublic) }, context);
            legit.Connect(endpoint);
            var server = new Server(logs, context, pull, legit, endpoint, serverPublic, serverSecret);
            await server.RoundTripAsync();
            return server;
        }

        /// <summary>The legitimate client sends one numbered message; the next message the server receives must be it (nothing from an attacker).</summary>
        public async Task RoundTripAsync()
        {
            var n = _sent++;
            await Legit.SendOrFail(new Message("legit", n.ToString()));
            using var message = await Pull.ReceiveOrFail();
            Assert.Equal(["legit", n.ToString()], message.Select(f => f.ToString()).ToArray());
        }

        /// <summary>The attacker's connection is closed by the server, the drop is logged with <paramref name="reason"/>, and the legitimate client still gets through (first).</summary>
        public async Task ExpectRefusedAsync(CurveRawClient attacker, string reason)
        {
            Assert.True(await attacker.Peer.WaitClosedAsync(), "the server kept the attacker's connection open");
            var drop = await Logs.WaitForDropAsync(reason);
            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, drop.Level);
            await RoundTripAsync();
            await RoundTripAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Legit.DisposeAsync();
            await Pull.DisposeAsync();
            await Context.DisposeAsync();
        }
    }

    public static TheoryData<string, string> Attacks() => new()
    {
        // HELLO
        { "hello-truncated", "HELLO of 150 bytes" },
        { "hello-too-long", "HELLO of 201 bytes" },
        { "hello-version", "version 2.0" },
        { "hello-signature-bit", "signature" },
        { "hello-signature-other-server", "signature" },
        { "hello-twice", "unexpected command 'HELLO'" },
        { "initiate-before-hello", "unexpected command 'INITIATE'" },
        { "message-before-hello", "unexpected command 'MESSAGE'" },
        { "welcome-from-client", "unexpected command 'WELCOME'" },
        { "ready-from-client", "unexpected command 'READY'" },

        // INITIATE
        { "initiate-truncated", "INITIATE of 200 bytes" },
        { "initiate-box-bit", "INITIATE whose box" },
        { "initiate-cookie-bit", "cookie does not open" },
        { "initiate-cookie-nonce-bit", "cookie this connection was not given" },
        { "initiate-cookie-of-another-server", "cookie does not open" },
        { "initiate-vouch-other-transient", "vouch" },
        { "initiate-vouch-other-server", "vouch" },
        { "initiate-vouch-by-another-key", "vouch" },
        { "initiate-twice", "INITIATE" },
        { "hello-after-ready", "HELLO" },

        // MESSAGE
        { "message-box-bit", "box" },
        { "message-nonce-repeat", "nonce" },
        { "message-nonce-backwards", "nonce" },
        { "message-nonce-of-initiate", "nonce" },
        { "message-reflected-prefix", "box" },
        { "message-truncated", "MESSAGE of" },
        { "message-plain-frame", "MESSAGE" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Attack_IsRefusedAndLogged_AndTheLegitimateClientKeepsGoing(string attack, string reason)
    {
        await using var server = await Server.StartAsync();
        using var attacker = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await attacker.GreetAsync();
        await server.RoundTripAsync();
        var frame = CurveRawClient.CommandFrame;

        async Task HandshakeToWelcome()
        {
            await attacker.SendAsync(frame(attacker.HelloBody()));
            await attacker.ReadWelcomeAsync();
            await server.RoundTripAsync();
        }

        async Task HandshakeToReady()
        {
            await HandshakeToWelcome();
            await attacker.SendAsync(frame(attacker.InitiateBody("PUSH")));
            await attacker.ReadReadyAsync();
            await attacker.SendAsync(attacker.MessageFrames("attacker", "ok"));
            using var message = await server.Pull.ReceiveOrFail();
            Assert.Equal("attacker", message[0].ToString());
        }

        switch (attack)
        {
            case "hello-truncated":
                await attacker.SendAsync(frame(attacker.HelloBody()[..150]));
                break;
            case "hello-too-long":
                await attacker.SendAsync(frame(attacker.HelloBody(padding: 73)));
                break;
            case "hello-version":
                await attacker.SendAsync(frame(attacker.HelloBody(major: 2)));
                break;
            case "hello-signature-bit":
                await attacker.SendAsync(frame(attacker.HelloBody(flipSignatureBit: true)));
                break;
            case "hello-signature-other-server":
                await attacker.SendAsync(frame(attacker.HelloBody(signatureKey: CurveRawClient.NewKeyPair().Public)));
                break;
            case "hello-twice":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.HelloBody()));
                break;
            case "initiate-before-hello":
                await attacker.SendAsync(frame([.. "\u0008INITIATE"u8, .. new byte[300]]));
                break;
            case "message-before-hello":
                await attacker.SendAsync(frame([.. "\u0007MESSAGE"u8, .. new byte[40]]));
                break;
            case "welcome-from-client":
                await attacker.SendAsync(frame([.. "\u0007WELCOME"u8, .. new byte[160]]));
                break;
            case "ready-from-client":
                await attacker.SendAsync(frame([.. "\u0005READY"u8, .. new byte[40]]));
                break;
            case "initiate-truncated":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH")[..200]));
                break;
            case "initiate-box-bit":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", flipBoxBit: true)));
                break;
            case "initiate-cookie-bit":
            {
                await HandshakeToWelcome();
                var cookie = attacker.Cookie!.ToArray();
                cookie[50] ^= 0x04;
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", cookie: cookie)));
                break;
            }

            case "initiate-cookie-nonce-bit":
            {
                await HandshakeToWelcome();
                var cookie = attacker.Cookie!.ToArray();
                cookie[3] ^= 0x20;
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", cookie: cookie)));
                break;
            }

            case "initiate-cookie-of-another-server":
            {
                // Another socket with the same long-term key: its cookies are its own.
                await using var other = await Server.StartAsync(serverKeys: (server.ServerPublic, server.ServerSecret));
                using var elsewhere = await CurveRawClient.ConnectAsync(other.Endpoint, server.ServerPublic);
                elsewhere.UseTransient(attacker.TransientPublic, attacker.TransientSecret);
                await elsewhere.GreetAsync();
                await elsewhere.SendAsync(frame(elsewhere.HelloBody()));
                await elsewhere.ReadWelcomeAsync();
                await HandshakeToWelcome();

                // Its box under this connection's cookie nonce, so that only the cookie key can tell.
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", cookie: [.. attacker.Cookie![..16], .. elsewhere.Cookie![16..]])));
                break;
            }

            case "initiate-vouch-other-transient":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", vouchTransient: CurveRawClient.NewKeyPair().Public)));
                break;
            case "initiate-vouch-other-server":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", vouchServer: CurveRawClient.NewKeyPair().Public)));
                break;
            case "initiate-vouch-by-another-key":
            {
                // Claims a long-term key whose secret it does not hold: the vouch is boxed with another secret.
                await HandshakeToWelcome();
                var claimed = CurveRawClient.NewKeyPair().Public;
                await attacker.SendAsync(frame(ReplaceClientKey(attacker, claimed)));
                break;
            }

            case "initiate-twice":
                await HandshakeToReady();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH")));
                break;
            case "hello-after-ready":
                await HandshakeToReady();
                await attacker.SendAsync(frame(attacker.HelloBody()));
                break;
            case "message-box-bit":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.MessageFrame(0, "bad"u8, flipBoxBit: true));
                break;
            case "message-nonce-repeat":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.MessageFrame(0, "bad"u8, nonce: attacker.NextNonce - 1));
                break;
            case "message-nonce-backwards":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.MessageFrame(0, "bad"u8, nonce: attacker.NextNonce - 2));
                break;
            case "message-nonce-of-initiate":
                // HELLO 1, INITIATE 2: a first MESSAGE with nonce 2 repeats the INITIATE's.
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH")));
                await attacker.ReadReadyAsync();
                await attacker.SendAsync(attacker.MessageFrame(0, "bad"u8, nonce: 2));
                break;
            case "message-reflected-prefix":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.MessageFrame(0, "bad"u8, prefix: "CurveZMQMESSAGES"));
                break;
            case "message-truncated":
            {
                await HandshakeToReady();
                var message = attacker.MessageFrame(0, "bad"u8);
                var body = message[2..][..20];
                await attacker.SendAsync(RawZmtp.Frame(0x00, body));
                break;
            }

            case "message-plain-frame":
                await HandshakeToReady();
                await attacker.SendAsync(RawZmtp.Message("plain", "text"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(attack));
        }

        await server.ExpectRefusedAsync(attacker, reason);
    }

    /// <summary>An INITIATE that presents <paramref name="claimed"/> as the client's long-term key, with a vouch boxed by the attacker's own secret.</summary>
    private static byte[] ReplaceClientKey(CurveRawClient attacker, byte[] claimed)
    {
        // Build the INITIATE with the attacker's keys, then rebuild the plain text with the claimed key: the vouch no longer opens with it.
        var body = attacker.InitiateBody("PUSH");
        var sPrime = attacker.ServerTransient!;
        var nonce = CurveRawClient.ShortNonce("CurveZMQINITIATE", System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(105)));
        var plain = new byte[body.Length - 113 - 16];
        Assert.True(Baton.Internal.Sodium.Open(plain, body.AsSpan(113), nonce, sPrime, attacker.TransientSecret));
        claimed.CopyTo(plain, 0);
        var box = new byte[plain.Length + 16];
        Assert.True(Baton.Internal.Sodium.Box(box, plain, nonce, sPrime, attacker.TransientSecret));
        return [.. body.AsSpan(0, 113), .. box];
    }

    /// <summary>
    /// A whole session recorded and replayed on a new connection (a fresh HELLO, then the old INITIATE with its
    /// old cookie, then the old MESSAGEs): refused, and the recorded message is not delivered twice.
    /// </summary>
    [Theory]
    [InlineData("fresh-hello")]
    [InlineData("replayed-hello")]
    public async Task ReplayedInitiate_OnANewConnection_IsRefused(string hello)
    {
        await using var server = await Server.StartAsync();
        byte[] recordedHello, recordedInitiate, recordedMessage;
        using (var original = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic))
        {
            await original.HandshakeAsync("PUSH");
            recordedHello = original.Sent[1];
            recordedInitiate = original.Sent[2];
            recordedMessage = original.MessageFrames("recorded");
            await original.SendAsync(recordedMessage);
            using var message = await server.Pull.ReceiveOrFail();
            Assert.Equal("recorded", message[0].ToString());
        }

        using var replayer = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await replayer.GreetAsync();
        await replayer.SendAsync(hello == "fresh-hello" ? CurveRawClient.CommandFrame(replayer.HelloBody()) : recordedHello);
        await replayer.ReadCommandAsync("WELCOME");
        await replayer.SendAsync(recordedInitiate, recordedMessage);
        if (server.Pull.TryReceive(out var again, TimeSpan.FromMilliseconds(500)))
        {
            using (again)
            {
                Assert.Fail($"a replayed session was accepted: '{again[0]}' was delivered a second time");
            }
        }

        Assert.True(await replayer.Peer.WaitClosedAsync(), "the server kept a connection that replayed another's INITIATE");
        await server.Logs.WaitForDropAsync("replayed");

        // The next message is the legitimate one: "recorded" did not come twice.
        await server.RoundTripAsync();
    }

    /// <summary>Streams cut short or stalled mid-command: nothing delivered, the stalled one dropped by the handshake timeout, the socket fine.</summary>
    [Theory]
    [InlineData("hello")]
    [InlineData("initiate")]
    public async Task StalledMidCommand_IsDroppedByTheHandshakeTimeout(string step)
    {
        await using var server = await Server.StartAsync(handshakeInterval: TimeSpan.FromSeconds(1));
        using var attacker = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await attacker.GreetAsync();
        var body = attacker.HelloBody();
        if (step == "initiate")
        {
            await attacker.SendAsync(CurveRawClient.CommandFrame(body));
            await attacker.ReadWelcomeAsync();
            body = attacker.InitiateBody("PUSH");
        }

        var whole = CurveRawClient.CommandFrame(body);
        await attacker.SendAsync(whole[..(whole.Length / 2)]);
        await server.RoundTripAsync();
        await server.ExpectRefusedAsync(attacker, "did not complete in time");
    }

    /// <summary>A Baton client given the wrong server key: the server refuses its HELLO and logs why; nothing is delivered; the server's own client is fine.</summary>
    [Fact]
    public async Task ClientWithTheWrongServerKey_IsRefused_AndNothingIsDelivered()
    {
        await using var server = await Server.StartAsync();
        var (_, clientSecret) = CurveRawClient.NewKeyPair();
        await using var wrong = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(clientSecret, CurveRawClient.NewKeyPair().Public), Linger = TimeSpan.Zero }, server.Context);
        wrong.Connect(server.Endpoint);
        _ = wrong.TrySend(new Message("wrong-key"), TimeSpan.Zero);
        await server.Logs.WaitForDropAsync("signature");
        Assert.Equal(0, wrong.ConnectedPeerCount);
        await server.RoundTripAsync();
        await server.RoundTripAsync();
    }
}
