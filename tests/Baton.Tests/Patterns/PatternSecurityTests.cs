using Baton.Messages;
using Baton.Patterns;
using Baton.Security;
using Baton.Sockets;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Every pattern over CURVE end to end: Majordomo's worker and both clients against a CURVE broker (a client
/// with the wrong server key is refused, gets nothing through, and the broker serves on), Titanic, Lazy Pirate,
/// Paranoid Pirate, the load-balancing broker, and a Binary Star pair (state link included) with its client.
/// </summary>
public sealed class PatternSecurityTests : IDisposable
{
    private static readonly MajordomoWorkerOptions s_fastWorker = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        ReconnectInterval = TimeSpan.FromMilliseconds(100),
    };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-pattern-security-");
    private readonly CurveKeyPair _server = CurveKeyPair.Generate();
    private readonly CurveKeyPair _client = CurveKeyPair.Generate();
    private readonly CurveKeyPair _stranger = CurveKeyPair.Generate();

    public void Dispose() => _folder.Delete(recursive: true);

    private SocketSecurity ServerSide => SocketSecurity.CurveServer(_server.SecretKey!);

    private SocketSecurity ClientSide => SocketSecurity.CurveClient(_client.SecretKey!, _server.PublicKey);

    [Fact]
    public async Task Majordomo_WorkerAndClients_ThroughACurveBroker_AndAWrongServerKeyIsRefused_WhileTheBrokerServesOn()
    {
        using var logs = new LogCapture();
        var context = logs.NewContext();
        await using var run = await MajordomoTests.BrokerRun.StartAsync(new MajordomoBrokerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200), Security = ServerSide }, context);
        await using var auth = ZapAuthenticator.Start(context);
        auth.ConfigureCurve(ZapAuthenticator.AnyDomain, [_client.PublicKey]);
        var handled = 0;
        run.StartWorker("echo", (request, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.FromResult(request);
        }, s_fastWorker with { Security = ClientSide });

        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1, Security = ClientSide }, context);
        await run.WaitForServiceAsync(client, "echo");
        using (var reply = await client.RequestAsync("echo", new Message("over", "curve")))
        {
            Assert.Equal(["over", "curve"], reply.ToStrings());
        }

        // The wrong server key: the broker cannot open the HELLO, drops the connection with a reason, and nothing reaches the worker.
        var wrong = SocketSecurity.CurveClient(_client.SecretKey!, _stranger.PublicKey);
        await using (var lost = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 1, Security = wrong }, context))
        {
            await Assert.ThrowsAsync<MajordomoTimeoutException>(() => lost.RequestAsync("echo", new Message("lost")).AsTask());
        }

        var drop = await logs.WaitForAsync(e => e.EventId == 2 && e.Message.Contains("HELLO", StringComparison.Ordinal));
        Assert.Contains("signature box", drop.Message, StringComparison.Ordinal);

        // A key the authenticator does not know is refused too.
        var stranger = SocketSecurity.CurveClient(_stranger.SecretKey!, _server.PublicKey);
        await using (var refused = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 1, Security = stranger }, context))
        {
            await Assert.ThrowsAsync<MajordomoTimeoutException>(() => refused.RequestAsync("echo", new Message("refused")).AsTask());
        }

        Assert.Contains(_stranger.PublicKeyZ85, (await logs.WaitForAsync(e => e.EventId == 8100)).Message, StringComparison.Ordinal);

        // The broker serves on, the asynchronous client too (its SocketOptions carry the security).
        using (var again = await client.RequestAsync("echo", new Message("again")))
        {
            Assert.Equal("again", again.ToString());
        }

        await using (var async = new MajordomoAsyncClient(run.Endpoint, new SocketOptions { Security = ClientSide }, context))
        {
            await async.SendAsync("echo", new Message("async"));
            using var cancel = new CancellationTokenSource(TestUtil.Timeout);
            using var reply = await async.ReceiveAsync(cancel.Token);
            Assert.Equal("async", reply.Body.ToString());
        }

        Assert.Equal(3, Volatile.Read(ref handled));
    }

    [Fact]
    public async Task Titanic_StoresAndDeliversARequest_ThroughACurveBroker()
    {
        var context = new Context(); // the run owns it
        await using var run = await MajordomoTests.BrokerRun.StartAsync(new MajordomoBrokerOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(200), Security = ServerSide }, context);
        run.StartWorker("echo", (request, _) => ValueTask.FromResult(request), s_fastWorker with { Security = ClientSide });
        using var stop = new CancellationTokenSource();
        var titanic = new Titanic(run.Endpoint, new TitanicStore(_folder.FullName), new TitanicOptions
        {
            RequestTimeout = TimeSpan.FromSeconds(2),
            RetryInterval = TimeSpan.FromMilliseconds(100),
            WorkerOptions = s_fastWorker,
            Security = ClientSide,
        }, context).RunAsync(stop.Token);

        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1, Security = ClientSide }, context);
        await run.WaitForServiceAsync(client, Titanic.RequestService);
        string id;
        using (var accepted = await client.RequestAsync(Titanic.RequestService, new Message("echo", "stored")))
        {
            Assert.Equal("200", accepted[0].ToString());
            id = accepted[1].ToString();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var reply = await client.RequestAsync(Titanic.ReplyService, new Message(id), deadline.Token);
            if (reply[0].ToString() == "200")
            {
                Assert.Equal(["200", "stored"], reply.ToStrings());
                break;
            }

            Assert.Equal("300", reply[0].ToString());
            await Task.Delay(50, deadline.Token);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => titanic.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public async Task LazyPirate_GetsItsReply_FromACurveServer_AndGivesUpOnAWrongServerKey()
    {
        await using var context = new Context();
        await using var server = new RepSocket(new SocketOptions { Security = ServerSide }, context);
        var endpoint = server.Bind(TestUtil.Endpoint("tcp"));
        using var cancel = new CancellationTokenSource();
        var serving = TestUtil.EchoAsync(server, cancel.Token);

        await using (var client = new LazyPirateClient(endpoint, new LazyPirateOptions { Timeout = TestUtil.Timeout, Security = ClientSide }, context))
        {
            using var reply = await client.RequestAsync(new Message("pirate"));
            Assert.Equal("pirate", reply.ToString());
        }

        await using (var wrong = new LazyPirateClient(endpoint, new LazyPirateOptions { Timeout = TimeSpan.FromMilliseconds(300), Attempts = 2, Security = SocketSecurity.CurveClient(_client.SecretKey!, _stranger.PublicKey) }, context))
        {
            await Assert.ThrowsAsync<ServerUnavailableException>(() => wrong.RequestAsync(new Message("lost")));
        }

        await cancel.CancelAsync();
        await serving;
    }

    [Fact]
    public async Task ParanoidPirate_QueueWorkerAndClient_OverCurve()
    {
        await using var context = new Context();
        var fast = new ParanoidPirateOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
            ReconnectInterval = TimeSpan.FromMilliseconds(100),
            ReconnectIntervalMax = TimeSpan.FromMilliseconds(400),
        };
        await using var queue = new ParanoidPirateQueue(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"), fast with { FrontendSecurity = ServerSide, BackendSecurity = ServerSide }, context);
        using var cancel = new CancellationTokenSource();
        var running = new List<Task>
        {
            queue.RunAsync(cancel.Token),
            new ParanoidPirateWorker(queue.BackendEndpoint, (request, _) => ParanoidPirateTests.Tagged("w", request), fast with { Security = ClientSide }, context).RunAsync(cancel.Token),
        };

        await LoadBalancingBrokerTests.WaitUntilAsync(() => queue.ReadyWorkerCount == 1);
        await using (var client = new LazyPirateClient(queue.FrontendEndpoint, new LazyPirateOptions { Timeout = TestUtil.Timeout, Security = ClientSide }, context))
        {
            using var reply = await client.RequestAsync(new Message("paranoid"));
            Assert.Equal(["w", "paranoid"], reply.ToStrings());
        }

        await cancel.CancelAsync();
        foreach (var task in running)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task.WaitAsync(TestUtil.Timeout));
        }
    }

    [Fact]
    public async Task LoadBalancingBroker_SecuresBothSides()
    {
        await using var context = new Context();
        await using var broker = new LoadBalancingBroker(TestUtil.Endpoint("tcp"), TestUtil.Endpoint("tcp"), new LoadBalancingBrokerOptions { FrontendSecurity = ServerSide, BackendSecurity = ServerSide }, context);
        using var cancel = new CancellationTokenSource();
        var running = broker.RunAsync(cancel.Token);
        await using var worker = new ReqSocket(new SocketOptions { Security = ClientSide }, context);
        worker.Connect(broker.BackendEndpoint);
        var working = LoadBalancingBrokerTests.WorkAsync(worker, "w", "READY", cancel.Token);
        await LoadBalancingBrokerTests.WaitUntilAsync(() => broker.ReadyWorkerCount == 1);

        await using var client = new ReqSocket(new SocketOptions { Security = ClientSide }, context);
        client.Connect(broker.FrontendEndpoint);
        await client.SendOrFail(new Message("balanced"));
        using (var reply = await client.ReceiveOrFail())
        {
            Assert.Equal(["w", "balanced"], reply.ToStrings());
        }

        await cancel.CancelAsync();
        await working.WaitAsync(TestUtil.Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(TestUtil.Timeout));
    }

    [Fact]
    public async Task BinaryStar_PairAndClient_OverCurve_EachServerWithItsOwnKey_FailoverIncluded()
    {
        await using var context = new Context();
        var primaryKeys = CurveKeyPair.Generate();
        var backupKeys = CurveKeyPair.Generate();
        BinaryStarOptions Secured(CurveKeyPair own, CurveKeyPair peer) => new()
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            FrontendSecurity = SocketSecurity.CurveServer(own.SecretKey!),
            StatePublisherSecurity = SocketSecurity.CurveServer(own.SecretKey!),
            StateSubscriberSecurity = SocketSecurity.CurveClient(own.SecretKey!, peer.PublicKey),
        };

        string Ipc(string name) => $"ipc://{Path.Combine(_folder.FullName, name)}";
        static ValueTask<Message?> Echo(Message request, CancellationToken cancellationToken) => ValueTask.FromResult<Message?>(request);
        var primary = new BinaryStar(BinaryStarRole.Primary, Ipc("primary"), Ipc("primary-state"), Ipc("backup-state"), Echo, Secured(primaryKeys, backupKeys), context);
        var primaryRun = primary.RunAsync();
        var backup = new BinaryStar(BinaryStarRole.Backup, Ipc("backup"), Ipc("backup-state"), Ipc("primary-state"), Echo, Secured(backupKeys, primaryKeys), context);
        var backupRun = backup.RunAsync();
        try
        {
            // The pair settles only if the state link works over CURVE both ways.
            await primary.WaitForStateAsync(BinaryStarState.Active).WaitAsync(TestUtil.Timeout);
            await backup.WaitForStateAsync(BinaryStarState.Passive).WaitAsync(TestUtil.Timeout);

            await using var client = new BinaryStarClient(primary.FrontendEndpoint, backup.FrontendEndpoint, new BinaryStarClientOptions
            {
                RequestTimeout = TimeSpan.FromSeconds(1),
                SettleDelay = TimeSpan.FromMilliseconds(500),
                MaxAttempts = 10,
                Security = SocketSecurity.CurveClient(_client.SecretKey!, primaryKeys.PublicKey),
                BackupSecurity = SocketSecurity.CurveClient(_client.SecretKey!, backupKeys.PublicKey),
            }, context);
            using (var reply = await client.RequestAsync(new Message("to the primary")))
            {
                Assert.Equal("to the primary", reply.ToString());
            }

            await primary.DisposeAsync();
            using (var reply = await client.RequestAsync(new Message("to the backup")))
            {
                Assert.Equal("to the backup", reply.ToString());
            }

            Assert.Equal(backup.FrontendEndpoint, client.CurrentEndpoint);
            Assert.Equal(BinaryStarState.Active, backup.State);
        }
        finally
        {
            await primary.DisposeAsync();
            await StoppedAsync(primaryRun);
            await backup.DisposeAsync();
            await StoppedAsync(backupRun);
        }
    }

    /// <summary>Waits for a disposed server's run to end, however it ends.</summary>
    private static async Task StoppedAsync(Task run)
    {
        try
        {
            await run.WaitAsync(TestUtil.Timeout);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
