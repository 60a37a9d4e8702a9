using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Wire;

/// <summary>
/// A mechanism that transforms bytes (the test's XOR mechanism) sees every frame in both directions:
/// messages of every shape, commands (subscriptions, heartbeats) and large frames, over tcp.
/// </summary>
public class MechanismSeamTests
{
    private static SocketOptions Xor => TestUtil.Quick with { Mechanism = XorMechanism.Factory };

    [Fact]
    public async Task TwoBatonSockets_WithATransformingMechanism_ExchangeEveryShape()
    {
        using var context = new Context();
        await using var pull = new PullSocket(Xor, context);
        await using var push = new PushSocket(Xor, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        var large = new byte[300_000];
        new Random(7).NextBytes(large);
        byte[][][] messages =
        [
            [[1, 2, 3]],
            [[], [0x5A], new byte[255], new byte[256]],
            [new byte[8192], large],
        ];

        // Many rounds, so the write loop batches many messages per buffer, then the odd shapes.
        for (var i = 0; i < 2000; i++)
        {
            await push.SendOrFail(new Message($"m{i}", "payload"));
        }

        foreach (var frames in messages)
        {
            var message = new Message();
            foreach (var frame in frames)
            {
                message.Append(frame.ToArray());
            }

            await push.SendOrFail(message);
        }

        push.Send("span"u8);
        for (var i = 0; i < 2000; i++)
        {
            using var received = await pull.ReceiveOrFail();
            Assert.Equal([$"m{i}", "payload"], received.ToStrings());
        }

        foreach (var frames in messages)
        {
            using var received = await pull.ReceiveOrFail();
            Assert.Equal(frames.Length, received.Count);
            for (var f = 0; f < frames.Length; f++)
            {
                Assert.True(frames[f].AsSpan().SequenceEqual(received[f].Span), $"frame {f} differs");
            }
        }

        Assert.Equal(["span"], (await pull.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task Subscriptions_AndHeartbeats_GoThroughTheMechanism()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        var options = Xor with { HeartbeatInterval = TimeSpan.FromMilliseconds(20), HeartbeatTimeout = TimeSpan.FromSeconds(5) };
        await using var pub = new PubSocket(options, context);
        await using var sub = new SubSocket(options, context);
        sub.Connect(pub.Bind("tcp://127.0.0.1:0"));
        sub.Subscribe("yes");
        using var first = await TestUtil.SendUntilReceived(pub, sub, () => new Message("yes", "1"));
        Assert.Equal("yes", first[0].ToString());

        // Not a synchronisation: time for about ten PING/PONG rounds each way. A PING or PONG that
        // skipped the mechanism would reach the other side garbled and drop the peer.
        await Task.Delay(200);
        await pub.SendOrFail(new Message("no", "x"));
        await pub.SendOrFail(new Message("yes", "2"));
        using var next = await TestUtil.ReceiveSkipping(sub, "1");

        Assert.Equal(["yes", "2"], next.ToStrings());
        Assert.Equal(1, sub.ConnectedPeerCount);
        Assert.Empty(logs.Drops);
    }

    [Fact]
    public async Task OnTheWire_FrameBodiesAreTransformed_AndHeadersAreNot()
    {
        using var context = new Context();
        await using var pull = new PullSocket(Xor, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        var (listener, rawEndpoint) = RawPeer.Listen();
        using (listener)
        {
            await using var push = new PushSocket(Xor, context);
            push.Connect(rawEndpoint);
            using var raw = await RawPeer.AcceptAsync(listener);
            await raw.SendAsync(RawZmtp.Greeting(mechanism: "X-XOR"), RawZmtp.Ready("PULL"));
            var expected = RawZmtp.Greeting(mechanism: "X-XOR");
            expected[8] = 1; // the signature's padding carries the identity's length + 1, as libzmq's does
            Assert.Equal(expected, await raw.ReadExactlyAsync(64));
            var (flags, _) = await raw.ReadFrameAsync();
            Assert.Equal(0x04, flags);

            await push.SendOrFail(new Message("abc", "de"));
            byte[] onTheWire = [.. await raw.ReadRawFrameAsync(), .. await raw.ReadRawFrameAsync()];
            Assert.Equal(RawZmtp.Message(XorMechanism.Xor("abc"u8.ToArray()), XorMechanism.Xor("de"u8.ToArray())), onTheWire);
        }

        using var peer = await RawPeer.ConnectAsync(endpoint);
        await peer.SendAsync(RawZmtp.Greeting(mechanism: "X-XOR"), RawZmtp.Ready("PUSH"), RawZmtp.Message(XorMechanism.Xor("xyz"u8.ToArray())));
        Assert.Equal(["xyz"], (await pull.ReceiveOrFail()).ToStrings());
    }

    [Fact]
    public async Task AMechanismMismatch_IsRefused()
    {
        var logs = new LogCapture();
        await using var context = logs.NewContext();
        await using var pull = new PullSocket(Xor, context);
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(pull.Bind("tcp://127.0.0.1:0"));
        var drop = await logs.WaitForDropAsync("mechanism mismatch");
        Assert.Contains("'NULL'", drop.Message);
    }
}
