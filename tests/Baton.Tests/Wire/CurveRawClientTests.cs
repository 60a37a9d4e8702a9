using Baton.Internal;
using Baton.Tests.Interop;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// The raw CURVE client the hostile tests use, checked against libzmq's CURVE server (pyzmq): a clean
/// handshake and messages both ways work, and libzmq refuses the same tampered commands the hostile tests
/// send to Baton (so a refusal by Baton means the tampering is real, not a bug of the raw client).
/// </summary>
public class CurveRawClientTests
{
    private static async Task<(PyzmqPeer Peer, string Endpoint, byte[] ServerPublic)> StartLibzmqServerAsync(string type = "PAIR")
    {
        var (serverPublic, serverSecret) = CurveRawClient.NewKeyPair();
        var peer = await PyzmqPeer.StartAsync(type, new Dictionary<string, object>
        {
            ["CURVE_SERVER"] = 1,
            ["CURVE_SECRETKEY"] = Z85Codec.Encode(serverSecret),
        });
        return (peer, await peer.BindAsync("tcp://127.0.0.1:*"), serverPublic);
    }

    [Fact]
    public async Task CleanHandshake_AndMessagesBothWays_WithLibzmq()
    {
        var (peer, endpoint, serverPublic) = await StartLibzmqServerAsync();
        await using var _ = peer;
        using var client = await CurveRawClient.ConnectAsync(endpoint, serverPublic);
        var ready = await client.HandshakeAsync("PAIR");
        Assert.True(ready.AsSpan().IndexOf("\u000BSocket-Type\u0000\u0000\u0000\u0004PAIR"u8) >= 0, "READY's metadata: " + Convert.ToHexString(ready));

        // Two frames, then a PING inside a box (libzmq answers with a PONG inside a box), then one more message.
        await client.SendAsync(client.MessageFrames("hello", "libzmq"));
        Assert.Equal(["hello", "libzmq"], await peer.ReceiveAsync());
        await client.SendAsync(client.CommandInMessage("PING", [0, 0], "ctx"u8.ToArray()));
        var (flags, pong) = await client.ReadMessageAsync();
        Assert.Equal(CurveRawClient.CommandFlag, flags);
        Assert.Equal("\u0004PONGctx"u8.ToArray(), pong);

        await peer.SendAsync("from"u8.ToArray(), "libzmq"u8.ToArray());
        Assert.Equal(["from", "libzmq"], await client.ReadDataMessageAsync());
        await client.SendAsync(client.MessageFrames("again"));
        Assert.Equal(["again"], await peer.ReceiveAsync());
    }

    public static TheoryData<string> LibzmqRefusals() =>
    [
        "hello-signature-bit", "hello-signature-other-key", "hello-version", "hello-short",
        "message-box-bit", "message-nonce-repeat", "message-nonce-backwards", "initiate-replayed-cookie",
    ];

    /// <summary>Each tampering the hostile tests use is refused by libzmq too: the connection closes and nothing is delivered.</summary>
    [Theory]
    [MemberData(nameof(LibzmqRefusals))]
    public async Task Tampering_IsRefusedByLibzmq(string attack)
    {
        var (peer, endpoint, serverPublic) = await StartLibzmqServerAsync("PULL");
        await using var _ = peer;
        using var client = await CurveRawClient.ConnectAsync(endpoint, serverPublic);
        await client.GreetAsync();
        switch (attack)
        {
            case "hello-signature-bit":
                await client.SendAsync(CurveRawClient.CommandFrame(client.HelloBody(flipSignatureBit: true)));
                break;
            case "hello-signature-other-key":
                await client.SendAsync(CurveRawClient.CommandFrame(client.HelloBody(signatureKey: CurveRawClient.NewKeyPair().Public)));
                break;
            case "hello-version":
                await client.SendAsync(CurveRawClient.CommandFrame(client.HelloBody(major: 2)));
                break;
            case "hello-short":
                await client.SendAsync(CurveRawClient.CommandFrame(client.HelloBody()[..199]));
                break;
            case "initiate-replayed-cookie":
            {
                // A full handshake on one connection, then its INITIATE (old cookie, old C') on a new one after a fresh HELLO.
                await client.SendAsync(CurveRawClient.CommandFrame(client.HelloBody()));
                await client.ReadWelcomeAsync();
                var initiate = CurveRawClient.CommandFrame(client.InitiateBody("PUSH"));
                await client.SendAsync(initiate);
                await client.ReadReadyAsync();
                using var second = await CurveRawClient.ConnectAsync(endpoint, serverPublic);
                await second.GreetToWelcomeAsync();
                await second.SendAsync(initiate, second.MessageFrames("replayed"));
                Assert.True(await second.Peer.WaitClosedAsync(), "libzmq kept a connection whose INITIATE was replayed");
                await client.SendAsync(client.MessageFrames("legit"));
                Assert.Equal(["legit"], await peer.ReceiveAsync());
                return;
            }

            default:
                await client.SendAsync(CurveRawClient.CommandFrame(client.HelloBody()));
                await client.ReadWelcomeAsync();
                await client.SendAsync(CurveRawClient.CommandFrame(client.InitiateBody("PUSH")));
                await client.ReadReadyAsync();
                await client.SendAsync(client.MessageFrames("before"));
                Assert.Equal(["before"], await peer.ReceiveAsync());
                var last = client.NextNonce - 1;
                await client.SendAsync(attack switch
                {
                    "message-box-bit" => client.MessageFrame(0, "bad"u8, flipBoxBit: true),
                    "message-nonce-repeat" => client.MessageFrame(0, "bad"u8, nonce: last),
                    "message-nonce-backwards" => client.MessageFrame(0, "bad"u8, nonce: last - 1),
                    _ => throw new ArgumentOutOfRangeException(nameof(attack)),
                });
                break;
        }

        Assert.Null(await peer.TryReceiveAsync(500));
        if (attack.StartsWith("message-", StringComparison.Ordinal))
        {
            // libzmq 4.3.4 stops reading a connection at a bad MESSAGE but does not always close it at once; nothing after it is delivered.
            await client.SendAsync(client.MessageFrames("after"));
            Assert.Null(await peer.TryReceiveAsync(500));
            return;
        }

        Assert.True(await client.Peer.WaitClosedAsync(), $"libzmq kept the connection after {attack}");
    }
}
