using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// A CURVE server with a ZAP authenticator that knows one client key: an unknown key is refused (with ERROR,
/// after a sound handshake), an impostor presenting the known key without its secret is refused before the
/// authenticator is even asked, a message pipelined before the verdict is never delivered, and the known
/// client is served throughout.
/// </summary>
public class CurveHostileZapTests
{
    [Fact]
    public async Task UnknownClientKey_BatonClient_IsRefusedWithError_AndDeliversNothing()
    {
        await using var server = await CurveHostileTests.Server.StartAsync(zap: true);
        var (_, unknownSecret) = CurveRawClient.NewKeyPair();
        await using var unknown = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(unknownSecret, server.ServerPublic), Linger = TimeSpan.Zero }, server.Context);
        unknown.Connect(server.Endpoint);
        _ = unknown.TrySend(new Message("unknown"), TimeSpan.Zero);

        // The server drops it and says why; the client is told (ERROR) and says so too.
        var drop = await server.Logs.WaitForDropAsync("ZAP");
        Assert.Contains("400", drop.Message);
        await server.Logs.WaitForAsync(e => e.EventId == 8100 && e.Message.Contains("CURVE", StringComparison.Ordinal));
        await server.Logs.WaitForAsync(e => e.EventId == 6 && e.Level == LogLevel.Warning);
        Assert.Equal(0, unknown.ConnectedPeerCount);
        await server.RoundTripAsync();
        await server.RoundTripAsync();
    }

    [Fact]
    public async Task UnknownClientKey_RawClient_GetsErrorInsteadOfReady_AndItsPipelinedMessageIsNotDelivered()
    {
        await using var server = await CurveHostileTests.Server.StartAsync(zap: true);
        using var attacker = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await attacker.GreetToWelcomeAsync();
        await server.RoundTripAsync();

        // A MESSAGE right behind the INITIATE, before the authenticator's verdict.
        await attacker.SendAsync(CurveRawClient.CommandFrame(attacker.InitiateBody("PUSH")), attacker.MessageFrames("pipelined"));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => attacker.ReadReadyAsync());
        Assert.Contains("ERROR", error.Message);
        Assert.True(await attacker.Peer.WaitClosedAsync(), "the server kept a refused client's connection open");
        await server.Logs.WaitForDropAsync("ZAP");
        await server.Logs.WaitForAsync(e => e.EventId == 8100);
        await server.RoundTripAsync();
        await server.RoundTripAsync();
    }

    [Fact]
    public async Task KnownKeyWithoutItsSecret_IsRefusedAtTheVouch()
    {
        await using var server = await CurveHostileTests.Server.StartAsync(zap: true);
        using var attacker = await CurveRawClient.ConnectAsync(server.Endpoint, server.ServerPublic);
        await attacker.GreetToWelcomeAsync();

        // Presents the legitimate client's public key, with a vouch it can only box with its own secret.
        var initiate = attacker.InitiateBody("PUSH");
        var sPrime = attacker.ServerTransient!;
        var nonce = CurveRawClient.ShortNonce("CurveZMQINITIATE", System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(initiate.AsSpan(105)));
        var plain = new byte[initiate.Length - 113 - 16];
        Assert.True(Baton.Internal.Sodium.Open(plain, initiate.AsSpan(113), nonce, sPrime, attacker.TransientSecret));
        server.LegitPublic.CopyTo(plain, 0);
        var box = new byte[plain.Length + 16];
        Assert.True(Baton.Internal.Sodium.Box(box, plain, nonce, sPrime, attacker.TransientSecret));
        await attacker.SendAsync(CurveRawClient.CommandFrame([.. initiate.AsSpan(0, 113), .. box]), attacker.MessageFrames("impostor"));

        await server.ExpectRefusedAsync(attacker, "vouch");

        // The authenticator was not asked about the impostor: its only verdict is the legitimate client's.
        Assert.DoesNotContain(server.Logs.Entries, e => e.EventId == 8100);
    }

    [Fact]
    public async Task KnownKey_GetsIn_WithItsUserId()
    {
        await using var server = await CurveHostileTests.Server.StartAsync(zap: true);
        await server.Legit.SendOrFail(new Message("who"));
        using var message = await server.Pull.ReceiveOrFail();
        Assert.Equal(Baton.Security.Z85.Encode(server.LegitPublic), message.UserId);
        Assert.Equal("who", Encoding.UTF8.GetString(message[0].Span));
    }
}
