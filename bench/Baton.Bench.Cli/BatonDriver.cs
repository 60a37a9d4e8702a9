using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Bench.Cli;

/// <summary>Baton through its allocation-free calls: Send(ReadOnlySpan) and a disposed Receive.</summary>
internal sealed class BatonDriver : Driver
{
    public override string Name => "baton";

    public override IThroughputReceiver BindPull(string transport) => new Receiver(transport, Curve);

    public override void Push(string endpoint, int size, int count, Action beforeClose)
    {
        using var push = new PushSocket(Options(Curve, server: false));
        push.Connect(endpoint);
        var payload = new byte[size];
        if (size > 8 * 1024)
        {
            // Large messages go by reference (the array is never changed), as NetMQ's SendFrame does: no copy.
            for (var i = 0; i < count; i++)
            {
                push.Send(new Message(new Frame(payload)));
            }
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                push.Send(payload);
            }
        }

        beforeClose();
    }

    public override ILatencyClient BindReq(string transport) => new Client(transport, Curve);

    public override void Rep(string endpoint, int size, int count, Action beforeClose)
    {
        using var rep = new RepSocket(Options(Curve, server: false));
        rep.Connect(endpoint);
        for (var i = 0; i < count; i++)
        {
            // The request goes back as the reply: no copy, no allocation.
            rep.Send(rep.Receive());
        }

        beforeClose();
    }

    /// <summary>The options of every socket: with CURVE, the bound end serves and the connecting end is the client.</summary>
    private static SocketOptions Options(CurveKeys? curve, bool server) => new()
    {
        Linger = TimeSpan.FromSeconds(30),
        Security = curve is null ? SocketSecurity.Null : server ? SocketSecurity.CurveServer(curve.ServerSecret) : SocketSecurity.CurveClient(curve.ClientSecret, curve.ServerPublic),
    };

    private sealed class Receiver : IThroughputReceiver
    {
        private readonly PullSocket _pull;

        public Receiver(string transport, CurveKeys? curve)
        {
            _pull = new(Options(curve, server: true));
            Endpoint = _pull.Bind(BindAddress(transport));
        }

        public string Endpoint { get; }

        public double Receive(int warmup, int count, int size)
        {
            for (var i = 0; i < warmup; i++)
            {
                _pull.Receive().Dispose();
            }

            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                _pull.Receive().Dispose();
            }

            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        public void Dispose() => _pull.Dispose();
    }

    private sealed class Client : ILatencyClient
    {
        private readonly ReqSocket _req;

        public Client(string transport, CurveKeys? curve)
        {
            _req = new(Options(curve, server: true));
            Endpoint = _req.Bind(BindAddress(transport));
        }

        public string Endpoint { get; }

        public void Run(int warmup, long[] samples, int size)
        {
            var payload = new byte[size];
            for (var i = 0; i < warmup; i++)
            {
                _req.Send(payload);
                _req.Receive().Dispose();
            }

            for (var i = 0; i < samples.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                _req.Send(payload);
                _req.Receive().Dispose();
                samples[i] = Stopwatch.GetTimestamp() - start;
            }
        }

        public void Dispose() => _req.Dispose();
    }
}
