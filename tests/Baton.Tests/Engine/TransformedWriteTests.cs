using Baton.Messages;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Engine;

/// <summary>
/// Writes through a mechanism that transforms bytes (the test's XOR mechanism) on both paths: inline on the
/// sender's thread (a reply right after a request) and through the write loop (streams, messages too large
/// to encode in one chunk), interleaved, in order, every frame transformed exactly once.
/// </summary>
public class TransformedWriteTests
{
    private static SocketOptions Xor => TestUtil.Quick with { Mechanism = XorMechanism.Factory };

    [Fact]
    public async Task RequestsAndReplies_OfEveryShape_GoThroughTheMechanism_InlineOrNot()
    {
        using var context = new Context();
        await using var rep = new RepSocket(Xor, context);
        await using var req = new ReqSocket(Xor, context);
        req.Connect(rep.Bind("tcp://127.0.0.1:0"));
        var random = new Random(11);
        for (var i = 0; i < 300; i++)
        {
            // Mostly small (written inline), now and then multi-frame or larger than a 64 KB chunk (write loop).
            var request = new Message();
            var frames = i % 7 == 3 ? 3 : 1;
            for (var f = 0; f < frames; f++)
            {
                var bytes = new byte[i % 50 == 25 ? 70_000 + f : (i * 13 + f) % 300];
                random.NextBytes(bytes);
                request.Append(bytes);
            }

            var expected = request.Select(frame => frame.Span.ToArray()).ToArray();
            await req.SendOrFail(request);
            using (var received = await rep.ReceiveOrFail())
            {
                Assert.Equal(expected.Length, received.Count);
                var reply = new Message();
                for (var f = 0; f < received.Count; f++)
                {
                    Assert.True(expected[f].AsSpan().SequenceEqual(received[f].Span), $"request {i}, frame {f} differs");
                    reply.Append(received[f].Span.ToArray());
                }

                await rep.SendOrFail(reply);
            }

            using var echoed = await req.ReceiveOrFail();
            Assert.Equal(expected.Length, echoed.Count);
            for (var f = 0; f < expected.Length; f++)
            {
                Assert.True(expected[f].AsSpan().SequenceEqual(echoed[f].Span), $"reply {i}, frame {f} differs");
            }
        }
    }

    [Fact]
    public async Task AServerThatSendsTheMomentAPeerIsIn_WritesItsLastHandshakeCommandFirst()
    {
        // A CURVE server attaches the pipe when INITIATE checks out, then writes READY: a sender waiting for
        // the pipe wakes in between and writes inline. Its message must not overtake READY (the client would
        // drop the connection, and the message with it).
        var server = CurveKeyPair.Generate();
        var client = CurveKeyPair.Generate();
        for (var i = 0; i < 30; i++)
        {
            using var context = new Context();
            await using var push = new PushSocket(TestUtil.Quick with { Security = SocketSecurity.CurveServer(server.SecretKey!) }, context);
            await using var pull = new PullSocket(TestUtil.Quick with { Security = SocketSecurity.CurveClient(client.SecretKey!, server.PublicKey) }, context);
            var endpoint = push.Bind("tcp://127.0.0.1:0");
            // Spinning, so that the sender catches the pipe the moment it is attached.
            var sender = Task.Factory.StartNew(
                () =>
                {
                    while (!push.TrySend("first"u8, TimeSpan.Zero))
                    {
                    }
                },
                TaskCreationOptions.LongRunning);
            pull.Connect(endpoint);
            using var received = await pull.ReceiveOrFail(TimeSpan.FromSeconds(10));
            Assert.Equal(["first"], received.ToStrings());
            await sender;
        }
    }

    [Fact]
    public async Task BothWaysAtOnce_MessagesKeepTheirOrder()
    {
        using var context = new Context();
        await using var left = new DealerSocket(Xor, context);
        await using var right = new DealerSocket(Xor, context);
        right.Connect(left.Bind("tcp://127.0.0.1:0"));
        const int Count = 5_000;

        // Each side answers every message it receives with one of its own (inline writes) while a stream
        // of its own goes out through the write loop: both orders must hold.
        async Task RunAsync(DealerSocket socket, string name)
        {
            var sent = 0;
            var received = 0;
            while (received < Count * 2 || sent < Count * 2)
            {
                if (sent < Count * 2)
                {
                    await socket.SendOrFail(new Message($"{name}{sent}"));
                    sent++;
                }

                if (received < Count * 2 && (sent == Count * 2 || received < sent - 50))
                {
                    using var message = await socket.ReceiveOrFail();
                    Assert.Equal($"{(name == "l" ? "r" : "l")}{received}", message.ToStrings()[0]);
                    received++;
                }
            }
        }

        await Task.WhenAll(Task.Run(() => RunAsync(left, "l")), Task.Run(() => RunAsync(right, "r")));
    }
}
