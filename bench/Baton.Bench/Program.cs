using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Bench;

/// <summary>
/// First throughput figures: one PUSH/PULL stream, Baton against libzmq 4.3 (P/Invoke into libzmq.so.5),
/// sender and receiver on two threads of this process, rounds interleaved so machine noise hits both.
/// The receiver times from the first message to the last, as libzmq's local_thr does.
/// </summary>
public static class Program
{
    /// <summary>Runs the rounds and prints the table.</summary>
    public static void Main(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 3;
        var cases = new (string Transport, int Size, int Count)[]
        {
            ("tcp", 8, 1_000_000), ("tcp", 1024, 200_000), ("inproc", 8, 1_000_000), ("inproc", 1024, 200_000),
        };

        Console.WriteLine($"PUSH/PULL throughput, {rounds} interleaved rounds, two threads in one process, {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"transport",-9} {"size",6} {"count",9} {"peer",-7} {"msg/s (median)",15} {"MB/s",8} {"Baton/libzmq",13} {"B alloc/msg",12}");
        foreach (var (transport, size, count) in cases)
        {
            var baton = new List<double>();
            var libzmq = new List<double>();
            long allocated = 0;
            for (var round = 0; round < rounds; round++)
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                baton.Add(RunBaton(transport, size, count));
                allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
                libzmq.Add(RunLibzmq(transport, size, count));
            }

            var b = Median(baton);
            var l = Median(libzmq);
            Console.WriteLine($"{transport,-9} {size,6} {count,9} {"baton",-7} {b,15:N0} {b * size / 1e6,8:N1} {b / l,13:F2} {(double)allocated / rounds / count,12:F0}");
            Console.WriteLine($"{transport,-9} {size,6} {count,9} {"libzmq",-7} {l,15:N0} {l * size / 1e6,8:N1}");
        }
    }

    private static double RunBaton(string transport, int size, int count)
    {
        using var context = new Context();
        using var pull = new PullSocket(context: context);
        var endpoint = pull.Bind(transport == "tcp" ? "tcp://127.0.0.1:0" : $"inproc://bench-{Guid.NewGuid():N}");
        var sender = new Thread(() =>
        {
            using var push = new PushSocket(new SocketOptions { Linger = TimeSpan.FromSeconds(30) }, context);
            push.Connect(endpoint);
            var payload = new byte[size];
            for (var i = 0; i < count; i++)
            {
                push.Send(new Message(new Frame(payload)));
            }
        });
        sender.Start();
        pull.Receive().Dispose();
        var clock = Stopwatch.StartNew();
        for (var i = 1; i < count; i++)
        {
            pull.Receive().Dispose();
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        sender.Join();
        return (count - 1) / elapsed;
    }

    private static unsafe double RunLibzmq(string transport, int size, int count)
    {
        var context = Libzmq.ContextNew();
        var pull = Libzmq.NewSocket(context, Libzmq.Pull);
        var endpoint = Libzmq.Bind(pull, transport == "tcp" ? "tcp://127.0.0.1:*" : $"inproc://bench-{Guid.NewGuid():N}");
        var sender = new Thread(() =>
        {
            var push = Libzmq.NewSocket(context, Libzmq.Push);
            Libzmq.Connect(push, endpoint);
            var payload = new byte[size];
            fixed (byte* data = payload)
            {
                for (var i = 0; i < count; i++)
                {
                    Libzmq.Send(push, data, (nuint)size, 0);
                }
            }

            Libzmq.Close(push);
        });
        sender.Start();
        var buffer = new byte[size];
        double elapsed;
        fixed (byte* data = buffer)
        {
            Libzmq.Receive(pull, data, (nuint)size, 0);
            var clock = Stopwatch.StartNew();
            for (var i = 1; i < count; i++)
            {
                Libzmq.Receive(pull, data, (nuint)size, 0);
            }

            elapsed = clock.Elapsed.TotalSeconds;
        }

        sender.Join();
        Libzmq.Close(pull);
        Libzmq.ContextTerm(context);
        return (count - 1) / elapsed;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
