using BenchmarkDotNet.Attributes;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Bench;

/// <summary>
/// One PUSH/PULL stream in steady state: each operation is one message sent and received. Messages go
/// in windows below the HWM (1,000) so one thread can send and receive without blocking itself; the
/// I/O loops of tcp and ipc run on the thread pool and their allocations count too (see Calibration).
/// How a message is sent and received is in <see cref="SendOne"/> and <see cref="ReceiveOne"/> only.
/// </summary>
public class PushPullBenchmarks
{
    private const int Messages = 20_000;
    private const int Window = 200;

    private PushSocket _push = null!;
    private PullSocket _pull = null!;
    private byte[] _payload = [];

    [Params("inproc", "ipc", "tcp")]
    public string Transport { get; set; } = "tcp";

    [Params(8, 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        _pull = new PullSocket();
        _push = new PushSocket();
        var endpoint = Transport switch
        {
            "inproc" => $"inproc://bench-{Guid.NewGuid():N}",
            "ipc" => $"ipc://{Path.Combine(Path.GetTempPath(), $"baton-bdn-{Guid.NewGuid():N}.ipc")}",
            _ => "tcp://127.0.0.1:*",
        };
        _push.Connect(_pull.Bind(endpoint));

        // Warm the pools and the connection before anything is measured.
        SendAndReceive();
        SendAndReceiveMessages().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _push.Dispose();
        _pull.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "send + receive one message")]
    public void SendAndReceive()
    {
        for (var sent = 0; sent < Messages; sent += Window)
        {
            for (var i = 0; i < Window; i++)
            {
                SendOne(_push);
            }

            for (var i = 0; i < Window; i++)
            {
                ReceiveOne(_pull);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Messages, Description = "idiomatic: await SendAsync(new Message) + using ReceiveAsync")]
    public async Task SendAndReceiveMessages()
    {
        for (var sent = 0; sent < Messages; sent += Window)
        {
            for (var i = 0; i < Window; i++)
            {
                await _push.SendAsync(new Message(_payload));
            }

            for (var i = 0; i < Window; i++)
            {
                using var message = await _pull.ReceiveAsync();
            }
        }
    }

    // The allocation-free calls: a span send (copied into a pooled frame or straight into the
    // connection's write buffer) and a received message disposed back to its pool.
    private void SendOne(ZmqSocket socket) => socket.Send(_payload);

    private static void ReceiveOne(ZmqSocket socket) => socket.Receive().Dispose();
}
