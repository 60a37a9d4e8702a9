using BenchmarkDotNet.Attributes;
using Baton.Security;
using Baton.Sockets;

namespace Baton.Bench;

/// <summary>
/// The same steady state as <see cref="PushPullBenchmarks"/> and <see cref="ReqRepBenchmarks"/> over tcp,
/// with CURVE on both ends (the bound end serves): every frame is boxed with the connection's keys and a
/// new nonce when written and opened when read, and none of it may allocate per message.
/// </summary>
public class CurveBenchmarks
{
    private const int Messages = 20_000;
    private const int Window = 200;
    private const int RoundTrips = 2_000;

    private PushSocket _push = null!;
    private PullSocket _pull = null!;
    private ReqSocket _req = null!;
    private RepSocket _rep = null!;
    private Thread _replier = null!;
    private byte[] _payload = [];

    [Params(8, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        var server = CurveKeyPair.Generate();
        var client = CurveKeyPair.Generate();
        var serving = new SocketOptions { Security = SocketSecurity.CurveServer(server.SecretKey!) };
        var connecting = new SocketOptions { Security = SocketSecurity.CurveClient(client.SecretKey!, server.PublicKey) };

        _pull = new PullSocket(serving);
        _push = new PushSocket(connecting);
        _push.Connect(_pull.Bind("tcp://127.0.0.1:*"));

        _rep = new RepSocket(serving);
        _req = new ReqSocket(connecting);
        _req.Connect(_rep.Bind("tcp://127.0.0.1:*"));
        _replier = new Thread(() => ReqRepBenchmarks.Echo(_rep)) { IsBackground = true };
        _replier.Start();

        // Handshakes done and pools warm before anything is measured.
        SendAndReceive();
        RoundTrip();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _push.Dispose();
        _pull.Dispose();
        _req.Dispose();
        _rep.Dispose();
        _replier.Join();
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "CURVE: send + receive one message")]
    public void SendAndReceive()
    {
        for (var sent = 0; sent < Messages; sent += Window)
        {
            for (var i = 0; i < Window; i++)
            {
                _push.Send(_payload);
            }

            for (var i = 0; i < Window; i++)
            {
                _pull.Receive().Dispose();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "CURVE: request + reply")]
    public void RoundTrip()
    {
        for (var i = 0; i < RoundTrips; i++)
        {
            _req.Send(_payload);
            _req.Receive().Dispose();
        }
    }
}
