using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// Hostile CURVE servers against a Baton CURVE client (a PULL connected to a hand-driven fake server and to a
/// real Baton CURVE server): an impostor without the server's key, tampered or truncated WELCOME and READY, and
/// server MESSAGEs with bad boxes or nonces that repeat or go backwards are refused and logged with a reason,
/// nothing of them is delivered, and the client keeps receiving from the real server.
/// </summary>
public class CurveHostileClientTests
{
    public static TheoryData<string, string> Attacks() => new()
    {
        { "impostor-without-the-key", "WELCOME whose box does not open" },
        { "welcome-truncated", "WELCOME of 100 bytes" },
        { "welcome-box-bit", "WELCOME whose box does not open" },
        { "hello-from-the-server", "unexpected command 'HELLO'" },
        { "ready-box-bit", "READY whose box" },
        { "ready-truncated", "READY of 20 bytes" },
        { "welcome-twice", "unexpected command 'WELCOME'" },
        { "message-nonce-repeat", "nonce" },
        { "message-nonce-backwards", "nonce" },
        { "message-box-bit", "box" },
        { "message-reflected-prefix", "box" },
        { "error-before-welcome", "no such server" },
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task HostileServer_IsRefusedAndLogged_AndTheClientKeepsReceivingFromTheRealServer(string attack, string reason)
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var serverKeys = CurveRawClient.NewKeyPair();
        var (_, clientSecret) = CurveRawClient.NewKeyPair();
        await using var real = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(serverKeys.Secret) }, context);
        var realEndpoint = real.Bind("tcp://127.0.0.1:0");
        await using var client = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(clientSecret, serverKeys.Public) }, context);
        client.Connect(realEndpoint);
        using var fake = new CurveFakeServer(attack == "impostor-without-the-key" ? CurveRawClient.NewKeyPair() : serverKeys);
        client.Connect(fake.Endpoint);

        var sent = 0;
        async Task RoundTrip()
        {
            var n = sent++;
            await real.SendOrFail(new Message("legit", n.ToString()));
            using var message = await client.ReceiveOrFail();
            Assert.Equal(["legit", n.ToString()], message.Select(f => f.ToString()).ToArray());
        }

        await RoundTrip();
        var frame = CurveRawClient.CommandFrame;
        await fake.AcceptAsync();
        var helloOpens = await fake.ReadHelloAsync();
        Assert.Equal(attack != "impostor-without-the-key", helloOpens);
        await RoundTrip();

        async Task ToReady()
        {
            await fake.Peer!.SendAsync(frame(fake.WelcomeBody()));
            await fake.ReadInitiateAsync();
            await fake.Peer.SendAsync(frame(fake.ReadyBody("PUSH")));
            await fake.Peer.SendAsync(fake.MessageFrame(0, "fake-1"u8));
            using var first = await client.ReceiveOrFail();
            Assert.Equal("fake-1", first[0].ToString());
        }

        var peer = fake.Peer!;
        switch (attack)
        {
            case "impostor-without-the-key":
                await peer.SendAsync(frame(fake.WelcomeBody()));
                break;
            case "welcome-truncated":
                await peer.SendAsync(frame(fake.WelcomeBody()[..100]));
                break;
            case "welcome-box-bit":
                await peer.SendAsync(frame(fake.WelcomeBody(flipBoxBit: true)));
                break;
            case "hello-from-the-server":
                await peer.SendAsync(frame([.. "\u0005HELLO"u8, .. new byte[194]]));
                break;
            case "ready-box-bit":
                await peer.SendAsync(frame(fake.WelcomeBody()));
                await fake.ReadInitiateAsync();
                await peer.SendAsync(frame(fake.ReadyBody("PUSH", flipBoxBit: true)));
                break;
            case "ready-truncated":
                await peer.SendAsync(frame(fake.WelcomeBody()));
                await fake.ReadInitiateAsync();
                await peer.SendAsync(frame(fake.ReadyBody("PUSH")[..20]));
                break;
            case "welcome-twice":
                await peer.SendAsync(frame(fake.WelcomeBody()));
                await fake.ReadInitiateAsync();
                await peer.SendAsync(frame(fake.WelcomeBody()));
                break;
            case "message-nonce-repeat":
                await ToReady();
                await peer.SendAsync(fake.MessageFrame(0, "fake-bad"u8, nonce: fake.NextNonce - 1));
                break;
            case "message-nonce-backwards":
                await ToReady();
                await peer.SendAsync(fake.MessageFrame(0, "fake-bad"u8, nonce: 1));
                break;
            case "message-box-bit":
                await ToReady();
                await peer.SendAsync(fake.MessageFrame(0, "fake-bad"u8, flipBoxBit: true));
                break;
            case "message-reflected-prefix":
                await ToReady();
                await peer.SendAsync(fake.MessageFrame(0, "fake-bad"u8, prefix: "CurveZMQMESSAGEC"));
                break;
            case "error-before-welcome":
                await peer.SendAsync(frame([.. "\u0005ERROR"u8, 14, .. "no such server"u8]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(attack));
        }

        // Whatever the fake sends after the bad command is not delivered either.
        try
        {
            await peer.SendAsync(fake.MessageFrame(0, "fake-after"u8));
        }
        catch (System.Net.Sockets.SocketException)
        {
        }

        Assert.True(await peer.WaitClosedAsync(), "the client kept the hostile server's connection open");
        var logged = await logs.WaitForAsync(e => e.Level >= LogLevel.Warning && e.Message.Contains(reason, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(fake.Endpoint[(fake.Endpoint.LastIndexOf(':') + 1)..], logged.Message);
        await RoundTrip();
        await RoundTrip();
    }
}
