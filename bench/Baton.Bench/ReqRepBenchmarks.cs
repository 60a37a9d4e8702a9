using BenchmarkDotNet.Attributes;
using Baton.Sockets;

namespace Baton.Bench;

/// <summary>
/// REQ/REP round trips of 8 bytes: each operation is a request and its reply, the replier on its own
/// thread (it sends each request back as the reply, so its allocations count too). How the requester
/// sends and receives is in <see cref="SendOne"/> and <see cref="ReceiveOne"/> only.
/// </summary>
public class ReqRepBenchmarks
{
    private const int RoundTrips = 2_000;

    private ReqSocket _req = null!;
    private RepSocket _rep = null!;
    private Thread _replier = null!;
    private readonly byte[] _payload = new byte[8];

    [Params("inproc", "tcp")]
    public string Transport { get; set; } = "tcp";

    [GlobalSetup]
    public void Setup()
    {
        _rep = new RepSocket();
        _req = new ReqSocket();
        _req.Connect(_rep.Bind(Transport == "inproc" ? $"inproc://bench-{Guid.NewGuid():N}" : "tcp://127.0.0.1:*"));
        _replier = new Thread(() => Echo(_rep)) { IsBackground = true };
        _replier.Start();
        RoundTrip();
    }

    /// <summary>Sends back every request <paramref name="rep"/> receives, until it is disposed: the replier thread of the REQ/REP benchmarks.</summary>
    internal static void Echo(RepSocket rep)
    {
        try
        {
            while (true)
            {
                rep.Send(rep.Receive());
            }
        }
        catch (ObjectDisposedException)
        {
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _req.Dispose();
        _rep.Dispose();
        _replier.Join();
    }

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "request + reply")]
    public void RoundTrip()
    {
        for (var i = 0; i < RoundTrips; i++)
        {
            SendOne(_req);
            ReceiveOne(_req);
        }
    }

    // The allocation-free calls: a span send and a received message disposed back to its pool.
    private void SendOne(ZmqSocket socket) => socket.Send(_payload);

    private static void ReceiveOne(ZmqSocket socket) => socket.Receive().Dispose();
}
