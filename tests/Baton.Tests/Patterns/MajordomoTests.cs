using Baton.Messages;
using Baton.Patterns;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>Majordomo end to end in one process: broker, workers and both clients over tcp.</summary>
public class MajordomoTests
{
    private static readonly MajordomoWorkerOptions FastWorker = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        ReconnectInterval = TimeSpan.FromMilliseconds(100),
    };

    private static readonly MajordomoBrokerOptions FastBroker = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(200) };

    [Fact]
    public async Task Client_GetsTheReplyOfAWorker_ThroughTheBroker()
    {
        await using var run = await BrokerRun.StartAsync();
        run.StartWorker("echo", (request, _) => ValueTask.FromResult(request));
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context);

        using var reply = await client.RequestAsync("echo", new Message("hello", "world"));
        Assert.Equal(["hello", "world"], reply.ToStrings());
    }

    [Fact]
    public async Task SeveralServices_WithManyWorkersEach_EachRequestReachesItsOwnService()
    {
        await using var run = await BrokerRun.StartAsync();
        foreach (var service in new[] { "upper", "lower", "reverse" })
        {
            for (var i = 0; i < 4; i++)
            {
                var worker = i;
                run.StartWorker(service, (request, _) =>
                {
                    var text = request.ToString();
                    request.Dispose();
                    var result = service switch
                    {
                        "upper" => text.ToUpperInvariant(),
                        "lower" => text.ToLowerInvariant(),
                        _ => new string(text.Reverse().ToArray()),
                    };
                    return ValueTask.FromResult(new Message(result, worker.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                });
            }
        }

        await using var client = new MajordomoAsyncClient(run.Endpoint, context: run.Context);
        const int PerService = 200;
        for (var i = 0; i < PerService; i++)
        {
            await client.SendAsync("upper", new Message($"Abc{i}"));
            await client.SendAsync("lower", new Message($"Abc{i}"));
            await client.SendAsync("reverse", new Message($"Abc{i}"));
        }

        var seen = new Dictionary<string, HashSet<string>> { ["upper"] = [], ["lower"] = [], ["reverse"] = [] };
        var workersSeen = new Dictionary<string, HashSet<string>> { ["upper"] = [], ["lower"] = [], ["reverse"] = [] };
        for (var i = 0; i < 3 * PerService; i++)
        {
            using var cancel = new CancellationTokenSource(TestUtil.Timeout);
            using var reply = await client.ReceiveAsync(cancel.Token);
            var frames = reply.Body.ToStrings();
            Assert.True(seen[reply.Service].Add(frames[0]), $"a second reply {frames[0]} for {reply.Service}");
            workersSeen[reply.Service].Add(frames[1]);
        }

        for (var i = 0; i < PerService; i++)
        {
            Assert.Contains($"ABC{i}", seen["upper"]);
            Assert.Contains($"abc{i}", seen["lower"]);
            Assert.Contains(new string($"Abc{i}".Reverse().ToArray()), seen["reverse"]);
        }

        // Requests queue per service and go to every ready worker, not only the first.
        Assert.All(workersSeen.Values, workers => Assert.True(workers.Count > 1, $"only workers {string.Join(",", workers)} served"));
    }

    [Fact]
    public async Task MmiService_Says200ForAServiceWithWorkers_404ForOneWithout_501ForAnUnknownMmiService()
    {
        await using var run = await BrokerRun.StartAsync();
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context);
        using (var absent = await client.RequestAsync("mmi.service", new Message("echo")))
        {
            Assert.Equal("404", absent.ToString());
        }

        run.StartWorker("echo", (request, _) => ValueTask.FromResult(request));
        await run.WaitForServiceAsync(client, "echo");
        using (var present = await client.RequestAsync("mmi.service", new Message("echo")))
        {
            Assert.Equal("200", present.ToString());
        }

        using var unknown = await client.RequestAsync("mmi.nothing", new Message("x"));
        Assert.Equal("501", unknown.ToString());
    }

    [Fact]
    public async Task Requests_QueueUntilAWorkerComes()
    {
        await using var run = await BrokerRun.StartAsync();
        await using var client = new MajordomoAsyncClient(run.Endpoint, context: run.Context);
        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync("late", new Message($"r{i}"));
        }

        // Nothing can answer yet; the requests wait in the broker (a null here is a timed wait, not a sleep).
        Assert.Null(await client.TryReceiveAsync(TimeSpan.FromMilliseconds(100)));

        run.StartWorker("late", (request, _) => ValueTask.FromResult(request));
        var replies = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            using var cancel = new CancellationTokenSource(TestUtil.Timeout);
            using var reply = await client.ReceiveAsync(cancel.Token);
            replies.Add(reply.Body.ToString());
        }

        Assert.Equal(10, replies.Count);
    }

    [Fact]
    public async Task Client_AfterTheLastAttempt_ThrowsAMajordomoTimeoutExceptionNamingTheService()
    {
        await using var run = await BrokerRun.StartAsync();
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromMilliseconds(100), Attempts = 2 }, run.Context);

        var error = await Assert.ThrowsAsync<MajordomoTimeoutException>(async () => await client.RequestAsync("nobody", new Message("x")));
        Assert.Equal("nobody", error.Service);
        Assert.Equal(2, error.Attempts);
        Assert.Contains("'nobody'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_RetriesToAnotherWorker_WhenTheFirstFails_AndGetsExactlyOneReply()
    {
        await using var run = await BrokerRun.StartAsync();
        var calls = 0;
        Func<Message, CancellationToken, ValueTask<Message>> flaky = (request, _) =>
        {
            // The first request fails (no reply, the worker comes back as a new one); later ones answer.
            if (Interlocked.Increment(ref calls) == 1)
            {
                request.Dispose();
                throw new InvalidOperationException("the first request fails");
            }

            return ValueTask.FromResult(request);
        };
        run.StartWorker("flaky", flaky);
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 20 }, run.Context);

        using var reply = await client.RequestAsync("flaky", new Message("once"));
        Assert.Equal("once", reply.ToString());

        // A later request is answered by its own reply, not by a late one to an earlier attempt.
        using var second = await client.RequestAsync("flaky", new Message("twice"));
        Assert.Equal("twice", second.ToString());
    }

    [Fact]
    public async Task Worker_ReconnectsAndServesAgain_AfterTheBrokerRestarts()
    {
        using var context = new Context();
        string endpoint;
        var broker = new MajordomoBroker(FastBroker, context);
        endpoint = broker.Bind("tcp://127.0.0.1:0");
        using var stopBroker = new CancellationTokenSource();
        var brokerRun = broker.RunAsync(stopBroker.Token);

        using var stopWorker = new CancellationTokenSource();
        var worker = new MajordomoWorker(endpoint, "echo", FastWorker, context);
        var workerRun = worker.RunAsync((request, _) => ValueTask.FromResult(request), stopWorker.Token);
        try
        {
            await using (var client = new MajordomoClient(endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, context))
            {
                using var first = await client.RequestAsync("echo", new Message("before"));
                Assert.Equal("before", first.ToString());
            }

            await stopBroker.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => brokerRun.WaitAsync(TestUtil.Timeout));
            await broker.DisposeAsync();

            // A new broker on the same endpoint: the worker finds it again by itself.
            await using var second = new MajordomoBroker(FastBroker, context);
            second.Bind(endpoint);
            using var stopSecond = new CancellationTokenSource();
            var secondRun = second.RunAsync(stopSecond.Token);
            try
            {
                await using var client = new MajordomoClient(endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 40 }, context);
                using var after = await client.RequestAsync("echo", new Message("after"));
                Assert.Equal("after", after.ToString());
            }
            finally
            {
                await stopSecond.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => secondRun.WaitAsync(TestUtil.Timeout));
            }
        }
        finally
        {
            await stopWorker.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => workerRun.WaitAsync(TestUtil.Timeout));
            await worker.DisposeAsync();
        }
    }

    [Fact]
    public async Task Broker_ForgetsASilentWorker_AndMmiThenSays404()
    {
        await using var run = await BrokerRun.StartAsync();

        // A raw worker that says READY and then nothing: no heartbeats.
        await using var silent = new DealerSocket(context: run.Context);
        silent.Connect(run.Endpoint);
        await silent.SendOrFail(new Message(Frame.Empty, "MDPW01", new Frame([0x01]), "quiet"));

        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context);
        await run.WaitForServiceAsync(client, "quiet");

        // Expiry is 3 x 200 ms; poll mmi.service until the broker has let the worker go.
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            using var answer = await client.RequestAsync("mmi.service", new Message("quiet"), cancel.Token);
            if (answer.ToString() == "404")
            {
                break;
            }

            await Task.Delay(50, cancel.Token);
        }
    }

    [Fact]
    public void Options_RefuseValuesThatCannotWork()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajordomoBrokerOptions { HeartbeatInterval = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajordomoBrokerOptions { HeartbeatLiveness = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajordomoWorkerOptions { ReconnectInterval = TimeSpan.FromSeconds(-1) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MajordomoClientOptions { Attempts = 0 });
        Assert.Throws<ArgumentException>(() => new MajordomoWorker("tcp://127.0.0.1:1", "mmi.service"));
    }

    /// <summary>A broker on a tcp port of its own, its workers, all stopped and closed at the end.</summary>
    internal sealed class BrokerRun : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<(MajordomoWorker Worker, Task Run)> _workers = [];
        private Task _run = Task.CompletedTask;

        private BrokerRun(MajordomoBroker broker, Context context)
        {
            Broker = broker;
            Context = context;
        }

        public Context Context { get; }

        public MajordomoBroker Broker { get; }

        public string Endpoint { get; private set; } = "";

        public static Task<BrokerRun> StartAsync(MajordomoBrokerOptions? options = null, Context? context = null)
        {
            // The run owns the context, a given one too.
            context ??= new Context();
            var run = new BrokerRun(new MajordomoBroker(options ?? FastBroker, context), context);
            run.Endpoint = run.Broker.Bind("tcp://127.0.0.1:0");
            run._run = run.Broker.RunAsync(run._stop.Token);
            return Task.FromResult(run);
        }

        public MajordomoWorker StartWorker(string service, Func<Message, CancellationToken, ValueTask<Message>> handler, MajordomoWorkerOptions? options = null)
        {
            var worker = new MajordomoWorker(Endpoint, service, options ?? FastWorker, Context);
            _workers.Add((worker, worker.RunAsync(handler, _stop.Token)));
            return worker;
        }

        /// <summary>Waits until mmi.service says the service has a worker.</summary>
        public async Task WaitForServiceAsync(MajordomoClient client, string service)
        {
            using var cancel = new CancellationTokenSource(TestUtil.Timeout);
            while (true)
            {
                using var answer = await client.RequestAsync("mmi.service", new Message(service), cancel.Token);
                if (answer.ToString() == "200")
                {
                    return;
                }

                await Task.Delay(20, cancel.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            foreach (var (worker, run) in _workers)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
                await worker.DisposeAsync();
            }

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run.WaitAsync(TestUtil.Timeout));
            await Broker.DisposeAsync();
            await Context.DisposeAsync();
            _stop.Dispose();
        }
    }
}
