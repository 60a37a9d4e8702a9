namespace Baton.Bench.Cli;

/// <summary>
/// One ZeroMQ implementation (or the plain-socket baseline) as the benchmark drives it: the bound,
/// measuring end of each test runs in the benchmark process, the other end in a child process (or a
/// thread for inproc), the way libzmq's local_thr/remote_thr and local_lat/remote_lat split the work.
/// </summary>
internal abstract class Driver
{
    /// <summary>The name used in tables, JSON and on the command line.</summary>
    public abstract string Name { get; }

    /// <summary>False for transports this implementation cannot use.</summary>
    public virtual bool Supports(string transport) => true;

    /// <summary>False when this implementation has no CURVE (it is left out of <c>--mechanism curve</c> runs).</summary>
    public virtual bool SupportsCurve => true;

    /// <summary>The keys when the run uses CURVE (the bound end serves, the connecting end is the client); null for NULL.</summary>
    public CurveKeys? Curve { get; init; }

    /// <summary>Binds the receiving end of a PUSH/PULL stream.</summary>
    public abstract IThroughputReceiver BindPull(string transport);

    /// <summary>
    /// Connects to <paramref name="endpoint"/> and sends <paramref name="count"/> messages; calls
    /// <paramref name="beforeClose"/> with the socket still open (the measuring end says when it has
    /// everything), then closes and returns once the messages are flushed.
    /// </summary>
    public abstract void Push(string endpoint, int size, int count, Action beforeClose);

    /// <summary>Binds the measuring REQ end of a round-trip test.</summary>
    public abstract ILatencyClient BindReq(string transport);

    /// <summary>Connects to <paramref name="endpoint"/>, echoes <paramref name="count"/> requests, then calls <paramref name="beforeClose"/> and closes.</summary>
    public abstract void Rep(string endpoint, int size, int count, Action beforeClose);

    /// <summary>The driver called <paramref name="name"/>.</summary>
    public static Driver ForName(string name, CurveKeys? curve = null) => name switch
    {
        "baton" => new BatonDriver { Curve = curve },
        "baton-message" => new BatonMessageDriver { Curve = curve },
        "libzmq" => new LibzmqDriver { Curve = curve },
        "netmq" => new NetMqDriver { Curve = curve },
        "socket" when curve is null => new SocketDriver(),
        "socket" => throw new BenchFailure("the plain-socket baseline has no CURVE"),
        _ => throw new BenchFailure($"unknown benchmark peer '{name}' (baton, libzmq, netmq or socket)"),
    };

    /// <summary>A fresh endpoint of <paramref name="transport"/> to bind, in ZeroMQ syntax.</summary>
    protected static string BindAddress(string transport) => transport switch
    {
        "tcp" => "tcp://127.0.0.1:*",
        "ipc" => $"ipc://{Path.Combine(Path.GetTempPath(), $"baton-bench-{Guid.NewGuid():N}.ipc")}",
        "inproc" => $"inproc://baton-bench-{Guid.NewGuid():N}",
        _ => throw new BenchFailure($"unknown transport '{transport}' (inproc, ipc or tcp)"),
    };

    /// <summary>Removes the file behind an ipc endpoint, if any.</summary>
    protected static void DeleteIpcFile(string endpoint)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            File.Delete(endpoint["ipc://".Length..]);
        }
    }
}
