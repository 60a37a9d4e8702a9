using System.CommandLine;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton demo</c>: the two classic shapes in one process over real tcp sockets, printing what
/// crossed — a PUSH/PULL pipeline (ventilator, two workers, sink) and a PUB/SUB fan-out.
/// </summary>
internal static class DemoCommand
{
    private const int Tasks = 10;

    public static Command Create()
    {
        var command = new Command("demo", "Run a PUSH/PULL pipeline and a PUB/SUB fan-out over tcp and print what crossed.");
        command.SetAction((_, cancellationToken) => SocketCommands.Guard(() => RunAsync(cancellationToken)));
        return command;
    }

    private static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        // Warnings on stderr, as send and recv give them.
        using var logging = CliLogging.Create(verbose: false, quiet: false);
        await using var context = new Context(logging);
        await PipelineAsync(context, cancellationToken);
        Console.WriteLine();
        await FanOutAsync(context, cancellationToken);
        return 0;
    }

    private static async Task PipelineAsync(Context context, CancellationToken cancellationToken)
    {
        await using var ventilator = new PushSocket(context: context);
        await using var sink = new PullSocket(context: context);
        var tasksAt = ventilator.Bind("tcp://127.0.0.1:0");
        var resultsAt = sink.Bind("tcp://127.0.0.1:0");
        Console.WriteLine($"PUSH/PULL pipeline: ventilator {tasksAt} -> 2 workers -> sink {resultsAt}");

        var workers = new Task[2];
        for (var w = 0; w < workers.Length; w++)
        {
            var name = $"worker-{w + 1}";
            var input = new PullSocket(context: context);
            var output = new PushSocket(context: context);
            input.Connect(tasksAt);
            output.Connect(resultsAt);
            workers[w] = WorkAsync(name, input, output, cancellationToken);
        }

        // Both workers must be connected, or the first to arrive would get every task.
        while (ventilator.ConnectedPeerCount < workers.Length)
        {
            await ventilator.WaitForPeerAsync(cancellationToken);
            await Task.Yield();
        }

        for (var i = 1; i <= Tasks; i++)
        {
            await ventilator.SendAsync(new Message("task", i.ToString()), cancellationToken);
        }

        for (var w = 0; w < workers.Length; w++)
        {
            await ventilator.SendAsync(new Message("stop"), cancellationToken);
        }

        var perWorker = new Dictionary<string, int>();
        for (var i = 0; i < Tasks; i++)
        {
            using var result = await sink.ReceiveAsync(cancellationToken);
            Console.WriteLine($"  sink <- {result}");
            perWorker[result[0].ToString()] = perWorker.GetValueOrDefault(result[0].ToString()) + 1;
        }

        await Task.WhenAll(workers);
        var shares = string.Join(", ", perWorker.OrderBy(p => p.Key).Select(p => $"{p.Key} did {p.Value}"));
        Console.WriteLine($"  {Tasks} tasks, {Tasks} results: {shares}");
    }

    private static async Task WorkAsync(string name, PullSocket input, PushSocket output, CancellationToken cancellationToken)
    {
        await using (input)
        await using (output)
        {
            while (true)
            {
                using var task = await input.ReceiveAsync(cancellationToken);
                if (task[0].ToString() == "stop")
                {
                    return;
                }

                var n = int.Parse(task[1].ToString());
                await output.SendAsync(new Message(name, $"task {n}", $"{n}² = {n * n}"), cancellationToken);
            }
        }
    }

    private static async Task FanOutAsync(Context context, CancellationToken cancellationToken)
    {
        // An XPUB is a PUB that also sees subscriptions arrive, so we publish only once both
        // subscribers are listening (a plain PUB would drop what it sends before that).
        await using var publisher = new XPubSocket(context: context);
        var endpoint = publisher.Bind("tcp://127.0.0.1:0");
        Console.WriteLine($"PUB/SUB fan-out: publisher {endpoint}");
        await using var weather = new SubSocket(context: context);
        await using var sports = new SubSocket(context: context);
        weather.Subscribe("weather");
        sports.Subscribe("sports");
        weather.Connect(endpoint);
        sports.Connect(endpoint);
        for (var seen = 0; seen < 2; seen++)
        {
            using var subscription = await publisher.ReceiveAsync(cancellationToken);
            Console.WriteLine($"  publisher saw subscription to '{subscription[0].ToString()[1..]}'");
        }

        string[][] updates =
        [
            ["weather", "london", "rain"],
            ["sports", "final", "3-2"],
            ["weather", "paris", "sun"],
            ["traffic", "a1", "jammed"],
            ["sports", "tennis", "6-4 6-3"],
        ];
        foreach (var update in updates)
        {
            await publisher.SendAsync(new Message(update), cancellationToken);
        }

        await publisher.SendAsync(new Message("weather", "end"), cancellationToken);
        await publisher.SendAsync(new Message("sports", "end"), cancellationToken);
        await Task.WhenAll(PrintAsync("weather", weather, cancellationToken), PrintAsync("sports", sports, cancellationToken));
        Console.WriteLine("  nobody subscribed to 'traffic', so the publisher never sent it");
    }

    private static async Task PrintAsync(string name, SubSocket subscriber, CancellationToken cancellationToken)
    {
        while (true)
        {
            using var message = await subscriber.ReceiveAsync(cancellationToken);
            if (message[1].ToString() == "end")
            {
                return;
            }

            Console.WriteLine($"  subscriber '{name}' <- {message}");
        }
    }
}
