using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Bench.Cli;

/// <summary>Baton through its allocation-free calls: Send(ReadOnlySpan) and a disposed Receive.</summary>
internal sealed class BatonDriver : Driver
{
    public override string Name => "baton";

    public override IThroughputReceiver BindPull(string transport) => new Receiver(transport);

    public override void Push(string endpoint, int size, int count, Action beforeClose)
    {
        using var push = new PushSocket(Options);
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

    public override ILatencyClient BindReq(string transport) => new Client(transport);

    public override void Rep(string endpoint, int size, int count, Action beforeClose)
    {
        using var rep = new RepSocket(Options);
        rep.Connect(endpoint);
        for (var i = 0; i < count; i++)
        {
            // The request goes back as the reply: no copy, no allocation.
            rep.Send(rep.Receive());
        }

        beforeClose();
    }

    private static SocketOptions Options => new() { Linger = TimeSpan.FromSeconds(30) };

    private sealed class Receiver : IThroughputReceiver
    {
        private readonly PullSocket _pull = new(Options);

        public Receiver(string transport)
        {
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
        private readonly ReqSocket _req = new(Options);

        public Client(string transport)
        {
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
