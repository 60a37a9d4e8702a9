using System.Diagnostics;
using System.Text.Json.Nodes;
using Baton.Messages;
using Baton.Patterns;
using Baton.Tests.Wire;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>
/// Baton's Majordomo broker with MDP peers written in Python from the RFC (Interop/mdp_peer.py, pyzmq):
/// Python workers serve Baton clients, Baton workers serve Python clients (a REQ one as the guide's
/// mdcliapi, a DEALER one as mdcliapi2), several services with several workers each, and a worker
/// killed in the middle of a request.
/// </summary>
public class MajordomoInteropTests
{
    private const int HeartbeatMs = 200;

    [Fact]
    public async Task PythonWorkers_ServeABatonClient_ThroughBatonsBroker_SeveralServicesAndWorkersAtOnce()
    {
        await using var run = await MajordomoTests.BrokerRun.StartAsync();
        await using var alpha = await MdpPython.StartWorkersAsync(run.Endpoint, "alpha", 3);
        await using var beta = await MdpPython.StartWorkersAsync(run.Endpoint, "beta", 3);

        await using var client = new MajordomoAsyncClient(run.Endpoint, context: run.Context);
        const int PerService = 150;
        for (var i = 0; i < PerService; i++)
        {
            await client.SendAsync("alpha", new Message($"alpha {i}"));
            await client.SendAsync("beta", new Message($"beta {i}"));
        }

        var bodies = new HashSet<string>();
        var workers = new Dictionary<string, HashSet<string>> { ["alpha"] = [], ["beta"] = [] };
        for (var i = 0; i < 2 * PerService; i++)
        {
            using var cancel = new CancellationTokenSource(TestUtil.Timeout);
            using var reply = await client.ReceiveAsync(cancel.Token);
            var frames = reply.Body.ToStrings();
            Assert.Equal(2, frames.Length);
            Assert.StartsWith(reply.Service + " ", frames[0], StringComparison.Ordinal);
            Assert.StartsWith($"py-{reply.Service}-", frames[1], StringComparison.Ordinal);
            Assert.True(bodies.Add(frames[0]), $"a second reply to {frames[0]}");
            workers[reply.Service].Add(frames[1]);
        }

        Assert.Equal(2 * PerService, bodies.Count);
        Assert.All(workers.Values, set => Assert.True(set.Count > 1, $"one worker served everything: {string.Join(",", set)}"));

        // The synchronous client too, and MMI sees the Python workers.
        await using var sync = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context);
        using var mmi = await sync.RequestAsync("mmi.service", new Message("beta"));
        Assert.Equal("200", mmi.ToString());
        using var one = await sync.RequestAsync("alpha", new Message("sync"));
        Assert.Equal("sync", one[0].ToString());
    }

    [Theory]
    [InlineData("client")]
    [InlineData("async-client")]
    public async Task APythonClient_IsServedByBatonWorkers_ThroughBatonsBroker(string role)
    {
        await using var run = await MajordomoTests.BrokerRun.StartAsync();
        foreach (var service in new[] { "red", "green" })
        {
            for (var i = 0; i < 3; i++)
            {
                var name = $"baton-{service}-{i}";
                run.StartWorker(service, (request, _) => ValueTask.FromResult(request.Append(name)));
            }
        }

        // The async client asks no MMI first: wait until both services have their workers.
        await using (var probe = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context))
        {
            await run.WaitForServiceAsync(probe, "red");
            await run.WaitForServiceAsync(probe, "green");
        }

        const int PerService = 100;
        string[] arguments = role == "client"
            ? ["client", run.Endpoint, "red,green", $"{PerService}", "5000", "3"]
            : ["async-client", run.Endpoint, "red,green", $"{PerService}", "10000"];
        await using var python = MdpPython.Start(arguments);
        var summary = await python.ReadAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2 * PerService, (int)summary["ok"]!);
        Assert.Empty(summary["bad"]!.AsArray());
        Assert.All(new[] { "red", "green" }, service => Assert.True(summary["workers"]![service]!.AsArray().Count > 1, $"one worker served all of {service}: {summary}"));
        if (role == "client")
        {
            Assert.Equal("200", (string?)summary["mmi"]!["red"]);
            Assert.Equal("404", (string?)summary["mmi"]!["no-such-service"]);
        }
        else
        {
            Assert.Equal(0, (int)summary["missing"]!);
        }
    }

    [Fact]
    public async Task AWorkerKilledMidRequest_LeavesAClientWithRetriesExactlyOneReply_FromAnotherWorker()
    {
        await using var run = await MajordomoTests.BrokerRun.StartAsync();
        await using var stalling = await MdpPython.StartWorkersAsync(run.Endpoint, "fragile", 1, "stall");
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromSeconds(1), Attempts = 30 }, run.Context);
        await run.WaitForServiceAsync(client, "fragile");

        var request = client.RequestAsync("fragile", new Message("precious")).AsTask();

        // The only worker takes the request and hangs; kill it as a crash would, then bring a good one.
        var busy = await stalling.ReadAsync(TestUtil.Timeout);
        Assert.Equal("precious", (string?)busy["body"]![0]);
        await stalling.KillAsync();
        run.StartWorker("fragile", (message, _) => ValueTask.FromResult(message));

        using var reply = await request.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("precious", reply.ToString());

        // Exactly one reply: retries queued while the worker hung may run too, but their replies go to
        // sockets the client has closed, so the next request gets its own answer, not a late copy.
        for (var i = 0; i < 5; i++)
        {
            using var next = await client.RequestAsync("fragile", new Message($"next {i}"));
            Assert.Equal($"next {i}", next.ToString());
        }
    }

    [Fact]
    public async Task AWorkerKilledMidRequest_GivesAClientWithoutRetriesAClearError()
    {
        await using var run = await MajordomoTests.BrokerRun.StartAsync();
        await using var stalling = await MdpPython.StartWorkersAsync(run.Endpoint, "fragile", 1, "stall");
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromSeconds(2), Attempts = 1 }, run.Context);
        await run.WaitForServiceAsync(client, "fragile");

        var request = client.RequestAsync("fragile", new Message("lost")).AsTask();
        await stalling.ReadAsync(TestUtil.Timeout);
        await stalling.KillAsync();

        var error = await Assert.ThrowsAsync<MajordomoTimeoutException>(() => request.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("fragile", error.Service);
        Assert.Equal(1, error.Attempts);
    }

    [Fact]
    public async Task AWorkerKilledWhileIdle_IsNeverHandedARequest_TheNextWorkerGetsIt()
    {
        // Heartbeats every 10 s: only the closed connection, not an expiry, can tell the broker the worker died.
        var slow = TimeSpan.FromSeconds(10);
        using var capture = new LogCapture();
        await using var run = await MajordomoTests.BrokerRun.StartAsync(new MajordomoBrokerOptions { HeartbeatInterval = slow }, capture.NewContext());
        await using var doomed = await MdpPython.StartWorkersAsync(run.Endpoint, "steady", 1, heartbeatMs: 10_000);
        await capture.WaitForAsync(e => e.EventId == WorkerReady);

        // A second worker, behind the Python one in the line of ready workers.
        run.StartWorker("steady", (request, _) => ValueTask.FromResult(request.Append("baton")), new MajordomoWorkerOptions { HeartbeatInterval = slow });
        await WaitForCountAsync(capture, WorkerReady, 2);

        await doomed.KillAsync();
        await capture.WaitForAsync(e => e.Category == "Baton.Sockets.ROUTER" && e.EventId == PeerDisconnected);

        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TestUtil.Timeout, Attempts = 1 }, run.Context);
        using var reply = await client.RequestAsync("steady", new Message("to the living"));
        Assert.Equal(["to the living", "baton"], reply.ToStrings());
        Assert.Contains(capture.Entries, e => e.EventId == WorkerGone);
    }

    [Fact]
    public async Task AWorkerKilledMidRequest_IsForgotten_SoMmiServiceSays404()
    {
        await using var run = await MajordomoTests.BrokerRun.StartAsync();
        await using var stalling = await MdpPython.StartWorkersAsync(run.Endpoint, "lonely", 1, "stall");
        await using var client = new MajordomoClient(run.Endpoint, new MajordomoClientOptions { Timeout = TimeSpan.FromSeconds(1), Attempts = 1 }, run.Context);
        await run.WaitForServiceAsync(client, "lonely");

        var request = client.RequestAsync("lonely", new Message("never answered")).AsTask();
        await stalling.ReadAsync(TestUtil.Timeout);
        await stalling.KillAsync();
        await Assert.ThrowsAsync<MajordomoTimeoutException>(() => request.WaitAsync(TimeSpan.FromSeconds(60)));

        // The broker probes a busy worker silent past its expiry: the closed connection gives it away.
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            using var answer = await client.RequestAsync("mmi.service", new Message("lonely"), cancel.Token);
            if (answer.ToString() == "404")
            {
                break;
            }

            await Task.Delay(50, cancel.Token);
        }
    }

    private const int PeerDisconnected = 3;
    private const int WorkerReady = 7002;
    private const int WorkerGone = 7008;

    private static async Task WaitForCountAsync(LogCapture capture, int eventId, int count)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (capture.Entries.Count(e => e.EventId == eventId) < count)
        {
            await capture.WaitForAsync(e => e.EventId == eventId && capture.Entries.Count(x => x.EventId == eventId) >= count);
        }
    }

    /// <summary>One mdp_peer.py child process: JSON lines out; closing its stdin ends it, dispose kills what is left.</summary>
    private sealed class MdpPython : IAsyncDisposable
    {
        private readonly Process _process;

        private MdpPython(Process process) => _process = process;

        public static MdpPython Start(params string[] arguments)
        {
            var info = new ProcessStartInfo(PatternPeer.Python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Interop", "mdp_peer.py"));
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            return new MdpPython(Process.Start(info)!);
        }

        /// <summary>Starts <paramref name="count"/> Python workers of <paramref name="service"/> and waits until each has said READY.</summary>
        public static async Task<MdpPython> StartWorkersAsync(string endpoint, string service, int count, string mode = "tag", int heartbeatMs = HeartbeatMs)
        {
            var python = Start("worker", endpoint, service, $"{count}", mode, $"{heartbeatMs}");
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var line = await python.ReadAsync(TestUtil.Timeout);
                    Assert.NotNull(line["ready"]);
                }
            }
            catch
            {
                await python.DisposeAsync();
                throw;
            }

            return python;
        }

        public async Task<JsonObject> ReadAsync(TimeSpan timeout)
        {
            var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout)
                ?? throw new InvalidOperationException("mdp_peer.py exited early");
            return JsonNode.Parse(line)!.AsObject();
        }

        public async Task KillAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.StandardInput.Close();
                    using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await _process.WaitForExitAsync(cancel.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
            {
            }

            await KillAsync();
            _process.Dispose();
        }
    }
}
