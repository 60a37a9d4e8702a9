using System.Diagnostics;

namespace Baton.Bench.Cli;

/// <summary>libzmq 4.3 through P/Invoke, with zmq_send and zmq_recv into a reused buffer as local_thr does.</summary>
internal sealed class LibzmqDriver : Driver
{
    // inproc only works within one context, so the measuring end and an inproc sender share this one.
    private static readonly Lazy<nint> SharedContext = new(Libzmq.ContextNew);

    public override string Name => "libzmq";

    public override IThroughputReceiver BindPull(string transport) => new Receiver(transport, Curve);

    public override void Push(string endpoint, int size, int count, Action beforeClose)
    {
        WithSocket(endpoint, Libzmq.Push, Curve, socket =>
        {
            var payload = new byte[size];
            for (var i = 0; i < count; i++)
            {
                Libzmq.SendAll(socket, payload);
            }

            beforeClose();
        });
    }

    public override ILatencyClient BindReq(string transport) => new Client(transport, Curve);

    public override void Rep(string endpoint, int size, int count, Action beforeClose)
    {
        WithSocket(endpoint, Libzmq.Rep, Curve, socket =>
        {
            var buffer = new byte[Math.Max(size, 1)];
            for (var i = 0; i < count; i++)
            {
                var received = Libzmq.ReceiveInto(socket, buffer);
                Libzmq.SendAll(socket, buffer.AsSpan(0, received));
            }

            beforeClose();
        });
    }

    /// <summary>Runs <paramref name="work"/> on a connected socket; outside inproc, terminating its own context flushes what was sent, as remote_thr does.</summary>
    private static void WithSocket(string endpoint, int type, CurveKeys? curve, Action<nint> work)
    {
        var inproc = endpoint.StartsWith("inproc://", StringComparison.Ordinal);
        var context = inproc ? SharedContext.Value : Libzmq.ContextNew();
        var socket = Libzmq.NewSocket(context, type);
        try
        {
            Libzmq.ApplyCurve(socket, curve, server: false);
            Libzmq.Connect(socket, endpoint);
            work(socket);
        }
        finally
        {
            Libzmq.Close(socket);
            if (!inproc)
            {
                Libzmq.ContextTerm(context);
            }
        }
    }

    private sealed class Receiver : IThroughputReceiver
    {
        private readonly nint _socket;

        public Receiver(string transport, CurveKeys? curve)
        {
            _socket = Libzmq.NewSocket(SharedContext.Value, Libzmq.Pull);
            Libzmq.ApplyCurve(_socket, curve, server: true);
            Endpoint = Libzmq.Bind(_socket, BindAddress(transport));
        }

        public string Endpoint { get; }

        public double Receive(int warmup, int count, int size)
        {
            var buffer = new byte[Math.Max(size, 1)];
            for (var i = 0; i < warmup; i++)
            {
                Libzmq.ReceiveInto(_socket, buffer);
            }

            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                Libzmq.ReceiveInto(_socket, buffer);
            }

            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        public void Dispose()
        {
            Libzmq.Close(_socket);
            DeleteIpcFile(Endpoint);
        }
    }

    private sealed class Client : ILatencyClient
    {
        private readonly nint _socket;

        public Client(string transport, CurveKeys? curve)
        {
            _socket = Libzmq.NewSocket(SharedContext.Value, Libzmq.Req);
            Libzmq.ApplyCurve(_socket, curve, server: true);
            Endpoint = Libzmq.Bind(_socket, BindAddress(transport));
        }

        public string Endpoint { get; }

        public void Run(int warmup, long[] samples, int size)
        {
            var payload = new byte[size];
            var buffer = new byte[Math.Max(size, 1)];
            for (var i = 0; i < warmup; i++)
            {
                Libzmq.SendAll(_socket, payload);
                Libzmq.ReceiveInto(_socket, buffer);
            }

            for (var i = 0; i < samples.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                Libzmq.SendAll(_socket, payload);
                Libzmq.ReceiveInto(_socket, buffer);
                samples[i] = Stopwatch.GetTimestamp() - start;
            }
        }

        public void Dispose()
        {
            Libzmq.Close(_socket);
            DeleteIpcFile(Endpoint);
        }
    }
}
