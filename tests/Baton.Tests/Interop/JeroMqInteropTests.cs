using System.Security.Cryptography;
using System.Text;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Interop;

/// <summary>
/// Baton against JeroMQ 0.3.6 (Debian's libjeromq-java), a ZMTP 2.0 peer: Baton downgrades during the
/// greeting as libzmq does. Baton as either socket, binding or connecting, over tcp (JeroMQ 0.3.6 has no real ipc).
/// </summary>
public class JeroMqInteropTests
{
    private static readonly string[] s_pairings = ["PUSH-PULL", "REQ-REP", "PUB-SUB", "XPUB-SUB", "DEALER-ROUTER", "DEALER-REP"];

    public static TheoryData<string, string, string> Matrix()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var pairing in s_pairings)
        {
            foreach (var baton in new[] { "baton-first", "baton-second" })
            {
                foreach (var binder in new[] { "baton-binds", "jeromq-binds" })
                {
                    data.Add(pairing, baton, binder);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Pairing_Works_WithJeroMq(string pairing, string baton, string binder)
    {
        var types = pairing.Split('-');
        var batonIsFirst = baton == "baton-first";

        // DEALER names itself, so ROUTER's identity arrives from Baton's greeting or from JeroMQ's.
        string? Identity(int index) => pairing == "DEALER-ROUTER" && index == 0 ? "dealer-1" : null;

        var logs = new Wire.LogCapture();
        await using var context = logs.NewContext();
        await using var first = await CreateAsync(types[0], batonIsFirst, Identity(0), context);
        await using var second = await CreateAsync(types[1], !batonIsFirst, Identity(1), context);
        var batonSide = (BatonSide)(batonIsFirst ? first : second);
        var jeroSide = batonIsFirst ? second : first;
        var (bound, connecting) = binder == "baton-binds" ? ((InteropSide)batonSide, jeroSide) : (jeroSide, batonSide);
        await connecting.ConnectAsync(await bound.BindAsync("tcp"));

        using (var cancel = new CancellationTokenSource(TestUtil.Timeout))
        {
            await batonSide.Socket.WaitForPeerAsync(cancel.Token);
        }

        // The downgrade happened: Baton logs the protocol it settled on.
        await logs.WaitForAsync(e => e.EventId == 8 && e.Message.Contains($"({types[batonIsFirst ? 1 : 0]}, ZMTP 2.0)"));

        await PyzmqPairingTests.RunScenarioAsync(pairing, first, second);
    }

    [Theory]
    [InlineData("baton-binds")]
    [InlineData("jeromq-binds")]
    public async Task OneMegabyteMessages_CrossBothWays(string binder)
    {
        const int Size = 1 << 20;
        await using var push = new PushSocket(TestUtil.Quick);
        await using var pull = new PullSocket(TestUtil.Quick);
        await using var jeroPull = await JeroPeer.StartAsync("PULL");
        await using var jeroPush = await JeroPeer.StartAsync("PUSH");
        if (binder == "baton-binds")
        {
            await jeroPull.ConnectAsync(push.Bind("tcp://127.0.0.1:0"));
            await jeroPush.ConnectAsync(pull.Bind("tcp://127.0.0.1:0"));
        }
        else
        {
            push.Connect(await jeroPull.BindAsync("tcp://127.0.0.1:*"));
            pull.Connect(await jeroPush.BindAsync("tcp://127.0.0.1:*"));
        }

        var big = new byte[Size];
        new Random(7).NextBytes(big);
        await push.SendOrFail(new Message(new Frame(big)).AppendEmpty().Append("tail"));
        Assert.Equal([$"{Size}:{Convert.ToHexStringLower(SHA256.HashData(big))}", "", "tail"], await jeroPull.ReceiveAsync());

        await jeroPush.SendRepeatedAsync(0xAB, Size);
        using var received = await pull.ReceiveOrFail();
        Assert.True(received.Count == 1, $"{received.Count} frames");
        var frame = received[0];
        Assert.Equal(Size, frame.Length);
        Assert.True(frame.Span.IndexOfAnyExcept((byte)0xAB) < 0, "the message's bytes changed on the way");
    }

    private static async Task<InteropSide> CreateAsync(string type, bool baton, string? identity, Context context)
    {
        var router = type == "ROUTER";
        if (baton)
        {
            var options = new SocketOptions
            {
                Identity = identity is null ? null : Encoding.ASCII.GetBytes(identity),
                RouterMandatory = router,
                Linger = TimeSpan.FromSeconds(2),
            };
            return new BatonSide(ZmqSocket.Create(ZmqSocket.ParseType(type), options, context));
        }

        return new JeroSide(await JeroPeer.StartAsync(type, identity is null ? null : Encoding.ASCII.GetBytes(identity), router), type);
    }
}
