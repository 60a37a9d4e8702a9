using System.Text;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Interop;

/// <summary>
/// Every valid socket pairing against libzmq (through pyzmq): Baton as either socket, Baton binding
/// or connecting, over tcp and ipc.
/// </summary>
public class PyzmqPairingTests
{
    private static readonly string[] s_pairings =
    [
        "PAIR-PAIR", "PUB-SUB", "XPUB-XSUB", "PUB-XSUB", "XPUB-SUB", "REQ-REP", "REQ-ROUTER",
        "DEALER-REP", "DEALER-ROUTER", "DEALER-DEALER", "ROUTER-ROUTER", "PUSH-PULL",
    ];

    public static TheoryData<string, string, string, string> Matrix()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var pairing in s_pairings)
        {
            foreach (var baton in new[] { "baton-first", "baton-second" })
            {
                foreach (var binder in new[] { "baton-binds", "libzmq-binds" })
                {
                    foreach (var transport in new[] { "tcp", "ipc" })
                    {
                        data.Add(pairing, baton, binder, transport);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Pairing_Works_WithLibzmq(string pairing, string baton, string binder, string transport)
    {
        var types = pairing.Split('-');
        var batonIsFirst = baton == "baton-first";

        // The connecting side of ROUTER-ROUTER must be known by name; DEALER names itself to show identities cross.
        string? Identity(int index) => pairing switch
        {
            "ROUTER-ROUTER" => index == 0 ? "router-a" : "router-b",
            "DEALER-ROUTER" when index == 0 => "dealer-1",
            _ => null,
        };

        await using var first = await CreateAsync(types[0], batonIsFirst, Identity(0));
        await using var second = await CreateAsync(types[1], !batonIsFirst, Identity(1));
        var batonSide = batonIsFirst ? first : second;
        var libzmqSide = batonIsFirst ? second : first;
        var (bound, connecting) = binder == "baton-binds" ? (batonSide, libzmqSide) : (libzmqSide, batonSide);
        await connecting.ConnectAsync(await bound.BindAsync(transport));

        using (var cancel = new CancellationTokenSource(TestUtil.Timeout))
        {
            await ((BatonSide)batonSide).Socket.WaitForPeerAsync(cancel.Token);
        }

        await RunScenarioAsync(pairing, first, second);
    }

    internal static async Task RunScenarioAsync(string pairing, InteropSide a, InteropSide b)
    {
        switch (pairing)
        {
            case "PUSH-PULL":
                await a.SendAsync("multi", "", "part");
                Assert.Equal(["multi", "", "part"], await b.ReceiveAsync());
                break;
            case "PAIR-PAIR" or "DEALER-DEALER":
                await a.SendAsync("ping", "");
                Assert.Equal(["ping", ""], await b.ReceiveAsync());
                await b.SendAsync("pong");
                Assert.Equal(["pong"], await a.ReceiveAsync());
                break;
            case "REQ-REP":
                await a.SendAsync("hello", "");
                Assert.Equal(["hello", ""], await b.ReceiveAsync());
                await b.SendAsync("world");
                Assert.Equal(["world"], await a.ReceiveAsync());
                break;
            case "REQ-ROUTER":
            {
                await a.SendAsync("hello");
                var request = await b.ReceiveAsync();
                Assert.Equal(3, request.Length);
                Assert.Equal(["", "hello"], request[1..]);
                await b.SendAsync(request[0], "", "world");
                Assert.Equal(["world"], await a.ReceiveAsync());
                break;
            }

            case "DEALER-REP":
                await a.SendAsync("", "hello");
                Assert.Equal(["hello"], await b.ReceiveAsync());
                await b.SendAsync("world");
                Assert.Equal(["", "world"], await a.ReceiveAsync());
                break;
            case "DEALER-ROUTER":
                await a.SendAsync("hello");
                Assert.Equal(["dealer-1", "hello"], await b.ReceiveAsync());
                await b.SendAsync("dealer-1", "world");
                Assert.Equal(["world"], await a.ReceiveAsync());
                break;
            case "ROUTER-ROUTER":
                // Mandatory routing on both sides: the send retries until the handshake named the peer.
                await a.SendAsync("router-b", "hello");
                Assert.Equal(["router-a", "hello"], await b.ReceiveAsync());
                await b.SendAsync("router-a", "world");
                Assert.Equal(["router-b", "world"], await a.ReceiveAsync());
                break;
            default:
                await PublishAsync(a, b);
                break;
        }
    }

    private static async Task PublishAsync(InteropSide publisher, InteropSide subscriber)
    {
        await subscriber.SubscribeAsync("A");
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        if (publisher.Type == "XPUB")
        {
            string[]? subscription;
            do
            {
                // A libzmq socket attaches a new peer only when its own thread calls into it, so the
                // subscriber is polled while we wait (pyzmq alone behaves the same).
                Assert.Null(await subscriber.TryReceiveAsync(TimeSpan.FromMilliseconds(1)));
                subscription = await publisher.TryReceiveAsync(TimeSpan.FromMilliseconds(50));
                cancel.Token.ThrowIfCancellationRequested();
            }
            while (subscription is null);
            Assert.Equal(["\u0001A"], subscription);
        }

        while (true)
        {
            await publisher.SendAsync("B-topic", "filtered");
            await publisher.SendAsync("A-topic", "data");
            if (await subscriber.TryReceiveAsync(TimeSpan.FromMilliseconds(100)) is { } received)
            {
                Assert.Equal(["A-topic", "data"], received);
                return;
            }

            cancel.Token.ThrowIfCancellationRequested();
        }
    }

    private static async Task<InteropSide> CreateAsync(string type, bool baton, string? identity)
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
            return new BatonSide(ZmqSocket.Create(ZmqSocket.ParseType(type), options));
        }

        var libzmqOptions = new Dictionary<string, object>();
        if (identity is not null)
        {
            libzmqOptions["IDENTITY"] = Convert.ToHexString(Encoding.ASCII.GetBytes(identity));
        }

        if (router)
        {
            libzmqOptions["ROUTER_MANDATORY"] = 1;
        }

        return new LibzmqSide(await PyzmqPeer.StartAsync(type, libzmqOptions), type);
    }
}
