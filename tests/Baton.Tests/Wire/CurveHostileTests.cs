using System.Text;
using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Wire.Mechanisms;
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

        private Server(LogCapture logs, Context context, PullSocket pull, PushSocket legit, string endpoint, byte[] serverPublic, byte[] serverSecret, byte[] legitPublic, ZapAuthenticator? zap)
        {
            LegitPublic = legitPublic;
            Zap = zap;
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

        /// <summary>The legitimate client's long-term public key (the one key the authenticator knows, with <c>zap</c>).</summary>
        public byte[] LegitPublic { get; }

        public ZapAuthenticator? Zap { get; }

        /// <summary>Starts the server and its legitimate client; with <paramref name="zap"/>, a ZAP authenticator that knows only that client's key.</summary>
        /// <param name="clock">The clock of the server's cookie keys (milliseconds), for tests that rotate them; null: the real one.</param>
        public static async Task<Server> StartAsync(TimeSpan? handshakeInterval = null, (byte[] Public, byte[] Secret)? serverKeys = null, bool zap = false, Func<long>? clock = null)
        {
            var logs = new LogCapture();
            var context = logs.NewContext();
            var (legitPublic, clientSecret) = CurveRawClient.NewKeyPair();
            ZapAuthenticator? authenticator = null;
            if (zap)
            {
                authenticator = ZapAuthenticator.Start(context);
                authenticator.ConfigureCurve(ZapAuthenticator.AnyDomain, [legitPublic]);
            }

            var (serverPublic, serverSecret) = serverKeys ?? CurveRawClient.NewKeyPair();
            var pull = new PullSocket(
                TestUtil.Quick with
                {
                    Security = SocketSecurity.CurveServer(serverSecret),
                    Mechanism = clock is null ? null : new MechanismFactory(true, CurveServerMechanism.CreateFactory(new CurveServerKeys(serverSecret, clock))),
                    HandshakeInterval = handshakeInterval ?? TimeSpan.FromSeconds(5),
                },
                context);
            var endpoint = pull.Bind("tcp://127.0.0.1:0");
            var legit = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(clientSecret, serverPublic) }, context);
            legit.Connect(endpoint);
            var server = new Server(logs, context, pull, legit, endpoint, serverPublic, serverSecret, legitPublic, authenticator);
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
            if (Zap is not null)
            {
                await Zap.DisposeAsync();
            }

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
        { "initiate-malformed-metadata", "metadata" },
        { "initiate-zero-client-key", "vouch" },
        { "initiate-huge", "larger than any valid command" },
        { "hello-zero-transient", "HELLO" },
        { "hello-after-ready", "HELLO" },

        // MESSAGE
        { "message-box-bit", "box" },
        { "message-nonce-repeat", "nonce" },
        { "message-nonce-backwards", "nonce" },
        { "message-nonce-of-initiate", "nonce" },
        { "message-reflected-prefix", "box" },
        { "message-truncated", "MESSAGE of" },
        { "message-plain-frame", "MESSAGE" },

        // ZMTP commands inside MESSAGE boxes
        { "boxed-command-with-more", "command with the MORE flag" },
        { "boxed-empty-command", "malformed command" },
        { "boxed-error-from-client", "ERROR" },
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
                await elsewhere.GreetToWelcomeAsync();
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

            case "initiate-malformed-metadata":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(attacker.InitiateBody("PUSH", extraMetadata: [8, .. "Identity"u8, 0, 0, 1, 0, 1, 2])));
                break;
            case "initiate-zero-client-key":
                await HandshakeToWelcome();
                await attacker.SendAsync(frame(ReplaceClientKey(attacker, new byte[32])));
                break;
            case "initiate-huge":
                await HandshakeToWelcome();
                // Refused on its header, so the socket may close while the megabyte is still going out.
                await attacker.Peer.SendUnlessRefusedAsync(frame(attacker.InitiateBody("PUSH", extraMetadata: RawZmtp.Property("X-Padding", new byte[1 << 20]))));
                break;
            case "hello-zero-transient":
            {
                var (_, secret) = CurveRawClient.NewKeyPair();
                attacker.UseTransient(new byte[32], secret);
                await attacker.SendAsync(frame(attacker.HelloBody()));
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

            case "boxed-command-with-more":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.MessageFrame(CurveRawClient.CommandFlag | CurveRawClient.More, "\u0004PING\0\0"u8), attacker.MessageFrames("bad"));
                break;
            case "boxed-empty-command":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.MessageFrame(CurveRawClient.CommandFlag, []), attacker.MessageFrames("bad"));
                break;
            case "boxed-error-from-client":
                await HandshakeToReady();
                await attacker.SendAsync(attacker.CommandInMessage("ERROR", [3, .. "abc"u8]), attacker.MessageFrames("bad"));
                break;
            case "message-plain-frame":
                await HandshakeToReady();
                await attacker.SendAsync(RawZmtp.Message("plain", "text"));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(attack));
        }

        await server.ExpectRefusedAsync(attacker, reason);
    }

    public static TheoryData<string> Tolerated() =>
    [
        "boxed-unknown-command", "boxed-hello-after-handshake", "boxed-ping-inside-a-multipart-message", "reserved-box-flags",
    ];

    /// <summary>What libzmq lets through inside boxes (unknown commands ignored, reserved flag bits masked) Baton does too, without losing or mixing up messages.</summary>
    [Theory]
    [MemberData(nameof(Tolerated))]
    public async Task OddButHarmlessBoxes_AreToleratedAsLibzmqDoes(string what)
    {
        await using var server = await Server.StartAsync();
        using var client = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await client.HandshakeAsync("PUSH");
        await client.SendAsync(what switch
        {
            "boxed-unknown-command" => client.CommandInMessage("JUNK", [1, 2]),
            "boxed-hello-after-handshake" => client.CommandInMessage("HELLO", new byte[194]),
            "boxed-ping-inside-a-multipart-message" => [.. client.MessageFrame(CurveRawClient.More, "part-1"u8), .. client.CommandInMessage("PING", [0, 0]), .. client.MessageFrame(0, "part-2"u8)],
            _ => client.MessageFrame(0xFC, "reserved"u8),
        });
        await client.SendAsync(client.MessageFrames("after"));
        var expected = what switch
        {
            "boxed-ping-inside-a-multipart-message" => new[] { "part-1|part-2", "after" },
            "reserved-box-flags" => ["reserved", "after"],
            _ => ["after"],
        };
        foreach (var text in expected)
        {
            using var message = await server.Pull.ReceiveOrFail();
            Assert.Equal(text, string.Join("|", message.Select(f => f.ToString())));
        }

        await server.RoundTripAsync();
        Assert.Empty(server.Logs.Drops);
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

    /// <summary>
    /// Cookies expire with their key: one made a period ago still opens (the previous key is kept for one more
    /// period), one made two periods ago does not, whether the socket sat idle or rotated twice meanwhile.
    /// </summary>
    [Theory]
    [InlineData("one-period", true)]
    [InlineData("two-periods-idle", false)]
    [InlineData("two-rotations", false)]
    public async Task CookieAfterRotation_OpensForOnePeriodMore_ThenNever(string wait, bool opens)
    {
        long now = 1_000_000;
        await using var server = await Server.StartAsync(clock: () => Volatile.Read(ref now));
        var period = (long)CurveServerKeys.CookieKeyLifetime.TotalMilliseconds;
        using var attacker = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await attacker.GreetToWelcomeAsync();

        async Task RotateByAHello()
        {
            using var other = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
            await other.GreetToWelcomeAsync();
        }

        switch (wait)
        {
            case "one-period":
                Interlocked.Add(ref now, period + 1);
                await RotateByAHello();
                break;
            case "two-periods-idle":
                Interlocked.Add(ref now, (2 * period) + 1);
                break;
            default:
                Interlocked.Add(ref now, period + 1);
                await RotateByAHello();
                Interlocked.Add(ref now, period + 1);
                await RotateByAHello();
                break;
        }

        await attacker.SendAsync(CurveRawClient.CommandFrame(attacker.InitiateBody("PUSH")));
        if (opens)
        {
            await attacker.ReadReadyAsync();
            await attacker.SendAsync(attacker.MessageFrames("late"));
            using var message = await server.Pull.ReceiveOrFail();
            Assert.Equal("late", message[0].ToString());
            await server.RoundTripAsync();
        }
        else
        {
            await server.ExpectRefusedAsync(attacker, "cookie does not open");
        }
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

    /// <summary>The other way: a Baton CURVE server's MESSAGEs open with the raw client's keys, under nonces that strictly increase, commands (PING) included.</summary>
    [Fact]
    public async Task BatonServerMessages_OpenAndTheirNoncesStrictlyIncrease()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var (serverPublic, serverSecret) = CurveRawClient.NewKeyPair();
        await using var push = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(serverSecret), HeartbeatInterval = TimeSpan.FromMilliseconds(20), HeartbeatTimeout = TimeSpan.FromSeconds(5) }, context);
        var endpoint = push.Bind("tcp://127.0.0.1:0");
        using var client = await CurveRawClient.ConnectAsync(endpoint, serverPublic);
        await client.HandshakeAsync("PULL");
        var pings = 0;
        for (var i = 0; i < 200; i++)
        {
            try
            {
                await push.SendOrFail(new Message("n", i.ToString()));
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"message {i}: the server has no peer; logs:\n{string.Join("\n", logs.Entries)}");
            }

            while (true)
            {
                // ReadMessageAsync fails on a nonce that does not increase or a box that does not open.
                var (flags, payload) = await client.ReadMessageAsync();
                if ((flags & CurveRawClient.CommandFlag) != 0)
                {
                    // A PING (TTL, context): answer it, or the heartbeat drops us.
                    Assert.Equal("\u0004PING"u8.ToArray(), payload[..5]);
                    await client.SendAsync(client.CommandInMessage("PONG", payload[7..]));
                    pings++;
                    continue;
                }

                Assert.Equal("n", System.Text.Encoding.UTF8.GetString(payload));
                Assert.Equal(CurveRawClient.More, flags);
                (flags, payload) = await client.ReadMessageAsync();
                Assert.Equal(0, flags);
                Assert.Equal(i.ToString(), System.Text.Encoding.UTF8.GetString(payload));
                break;
            }
        }

        // And a PING in a box comes when the line is quiet.
        while (pings == 0)
        {
            var (flags, payload) = await client.ReadMessageAsync();
            Assert.Equal(CurveRawClient.CommandFlag, flags);
            Assert.Equal("\u0004PING"u8.ToArray(), payload[..5]);
            pings++;
        }

        Assert.Empty(logs.Drops);
        Assert.True(client.LastPeerNonce >= 401, $"last nonce {client.LastPeerNonce} for 400 frames after READY");
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
