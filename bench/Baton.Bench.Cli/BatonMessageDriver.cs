using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Bench.Cli;

/// <summary>
/// Baton as most programs use it: <c>await SendAsync(new Message(...))</c> and
/// <c>using var message = await ReceiveAsync()</c>, the idiomatic path rather than the span calls.
/// </summary>
internal sealed class BatonMessageDriver : Driver
{
    public override string Name => "baton-message";

    public override IThroughputReceiver BindPull(string transport) => new Receiver(transport, Curve);

    public override void Push(string endpoint, int size, int count, Action beforeClose)
        => PushAsync(endpoint, size, count, Curve, beforeClose).GetAwaiter().GetResult();

    private static async Task PushAsync(string endpoint, int size, int count, CurveKeys? curve, Action beforeClose)
    {
        await using var push = new PushSocket(Options(curve, server: false));
        push.Connect(endpoint);
        var payload = new byte[size];
        for (var i = 0; i < count; i++)
        {
            await push.SendAsync(new Message(payload));
        }

        beforeClose();
    }

    public override ILatencyClient BindReq(string transport) => new Client(transport, Curve);

    public override void Rep(string endpoint, int size, int count, Action beforeClose)
        => RepAsync(endpoint, count, Curve, beforeClose).GetAwaiter().GetResult();

    private static async Task RepAsync(string endpoint, int count, CurveKeys? curve, Action beforeClose)
    {
        await using var rep = new RepSocket(Options(curve, server: false));
        rep.Connect(endpoint);
        for (var i = 0; i < count; i++)
        {
            var request = await rep.ReceiveAsync();
            await rep.SendAsync(request);
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

        public double Receive(int warmup, int count, int size) => ReceiveAsync(warmup, count).GetAwaiter().GetResult();

        private async Task<double> ReceiveAsync(int warmup, int count)
        {
            for (var i = 0; i < warmup; i++)
            {
                using var message = await _pull.ReceiveAsync();
            }

            var start = Stopwatch.GetTimestamp();
            long bytes = 0;
            for (var i = 0; i < count; i++)
            {
                using var message = await _pull.ReceiveAsync();
                bytes += message.ByteCount;
            }

            GC.KeepAlive(bytes);
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

        public void Run(int warmup, long[] samples, int size) => RunAsync(warmup, samples, size).GetAwaiter().GetResult();

        private async Task RunAsync(int warmup, long[] samples, int size)
        {
            var payload = new byte[size];
            for (var i = 0; i < warmup; i++)
            {
                await _req.SendAsync(new Message(payload));
                using var reply = await _req.ReceiveAsync();
            }

            for (var i = 0; i < samples.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await _req.SendAsync(new Message(payload));
                using (await _req.ReceiveAsync())
                {
                }

                samples[i] = Stopwatch.GetTimestamp() - start;
            }
        }

        public void Dispose() => _req.Dispose();
    }
}
