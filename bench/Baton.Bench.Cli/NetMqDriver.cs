using System.Diagnostics;
using NetMQ;
using NetMQ.Sockets;

namespace Baton.Bench.Cli;

/// <summary>
/// NetMQ 4 through its fastest calls: SendFrame of a reused array and Receive into a Msg. NetMQ's ipc
/// is tcp on loopback underneath (on every platform), so its ipc figures are tcp figures.
/// </summary>
internal sealed class NetMqDriver : Driver
{
    public override string Name => "netmq";

    public override IThroughputReceiver BindPull(string transport) => new Receiver(transport, Curve);

    public override void Push(string endpoint, int size, int count, Action beforeClose)
    {
        using (var push = new PushSocket())
        {
            push.Options.Linger = TimeSpan.FromSeconds(30);
            UseCurve(push, Curve, server: false);
            push.Connect(endpoint);
            var payload = new byte[size];
            for (var i = 0; i < count; i++)
            {
                push.SendFrame(payload);
            }

            // NetMQ can lose the tail of a stream when closed while it still flushes: hold the socket open until the receiver has it all.
            beforeClose();
        }

        Flush(endpoint);
    }

    public override ILatencyClient BindReq(string transport) => new Client(transport, Curve);

    public override void Rep(string endpoint, int size, int count, Action beforeClose)
    {
        using (var rep = new ResponseSocket())
        {
            rep.Options.Linger = TimeSpan.FromSeconds(30);
            UseCurve(rep, Curve, server: false);
            rep.Connect(endpoint);
            var message = default(Msg);
            message.InitEmpty();
            for (var i = 0; i < count; i++)
            {
                rep.Receive(ref message);
                rep.Send(ref message, more: false);
            }

            message.Close();
            beforeClose();
        }

        Flush(endpoint);
    }

    /// <summary>Outside inproc the process ends next: let NetMQ's I/O thread finish lingering first.</summary>
    private static void Flush(string endpoint)
    {
        if (!endpoint.StartsWith("inproc://", StringComparison.Ordinal))
        {
            NetMQConfig.Cleanup(block: true);
        }
    }

    /// <summary>NetMQ's own CURVE: a server with its key pair, or a client with its key pair and the server's public key.</summary>
    private static void UseCurve(NetMQSocket socket, CurveKeys? curve, bool server)
    {
        if (curve is null)
        {
            return;
        }

        if (server)
        {
            socket.Options.CurveServer = true;
            socket.Options.CurveCertificate = new NetMQCertificate(curve.ServerSecret, curve.ServerPublic);
        }
        else
        {
            socket.Options.CurveServerCertificate = NetMQCertificate.FromPublicKey(curve.ServerPublic);
            socket.Options.CurveCertificate = new NetMQCertificate(curve.ClientSecret, curve.ClientPublic);
        }
    }

    private static string Bind(NetMQSocket socket, string transport)
    {
        switch (transport)
        {
            case "tcp":
                return $"tcp://127.0.0.1:{socket.BindRandomPort("tcp://127.0.0.1")}";
            case "ipc":
                // NetMQ's ipc listens on a loopback tcp port derived from the name, which may be taken: try other names.
                for (var attempt = 0; ; attempt++)
                {
                    var name = $"ipc://baton-bench-{Guid.NewGuid():N}";
                    try
                    {
                        socket.Bind(name);
                        return name;
                    }
                    catch (AddressAlreadyInUseException) when (attempt < 20)
                    {
                    }
                }

            default:
                var endpoint = BindAddress(transport);
                socket.Bind(endpoint);
                return endpoint;
        }
    }

    private sealed class Receiver : IThroughputReceiver
    {
        private readonly PullSocket _pull = new();

        public Receiver(string transport, CurveKeys? curve)
        {
            _pull.Options.Linger = TimeSpan.Zero;
            UseCurve(_pull, curve, server: true);
            Endpoint = Bind(_pull, transport);
        }

        public string Endpoint { get; }

        public double Receive(int warmup, int count, int size)
        {
            var message = default(Msg);
            message.InitEmpty();
            for (var i = 0; i < warmup; i++)
            {
                _pull.Receive(ref message);
            }

            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                _pull.Receive(ref message);
            }

            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            message.Close();
            return seconds;
        }

        public void Dispose() => _pull.Dispose();
    }

    private sealed class Client : ILatencyClient
    {
        private readonly RequestSocket _req = new();

        public Client(string transport, CurveKeys? curve)
        {
            _req.Options.Linger = TimeSpan.Zero;
            UseCurve(_req, curve, server: true);
            Endpoint = Bind(_req, transport);
        }

        public string Endpoint { get; }

        public void Run(int warmup, long[] samples, int size)
        {
            var payload = new byte[size];
            var reply = default(Msg);
            reply.InitEmpty();
            for (var i = 0; i < warmup + samples.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                _req.SendFrame(payload);
                _req.Receive(ref reply);
                if (i >= warmup)
                {
                    samples[i - warmup] = Stopwatch.GetTimestamp() - start;
                }
            }

            reply.Close();
        }

        public void Dispose() => _req.Dispose();
    }
}
