using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>Remote workers: `baton worker` and the app itself (BATON_WORKER_CONNECT) join a pool over tcp and run its tasks; over loopback, and across two network namespaces when the tests run as root.</summary>
public class RemoteWorkerTests
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    [Fact]
    public async Task BatonWorker_OverLoopback_RunsTasks_AndSurvivesACrash()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { LocalWorkers = 0, Listen = "tcp://127.0.0.1:0" });
        Assert.StartsWith("tcp://127.0.0.1:", pool.Endpoint, StringComparison.Ordinal);
        await using var worker = RemoteWorkerProcess.StartCli(null, "--connect", pool.Endpoint!, "--workers", "1", "--load", RemoteWorkerProcess.TestAssemblyPath);
        await WaitForWorkersAsync(pool, 1, worker);

        Assert.Equal([0, 1, 4, 9, 16], await pool.MapAsync(PoolWork.Square, Enumerable.Range(0, 5), chunkSize: 2).WaitAsync(Patience));
        var pid = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        Assert.NotEqual(worker.Pid, pid); // a worker process of baton worker's, not the command itself

        // The worker process dies: baton worker reports it (the task fails at once, with the exit code) and starts another.
        var crash = await Assert.ThrowsAsync<WorkerCrashedException>(() => pool.Submit(PoolWork.Exit, 5).WaitAsync(Patience));
        Assert.Equal(5, crash.ExitCode);
        Assert.True(crash.IsExitCodeKnown);
        await WaitForWorkersAsync(pool, 1, worker);
        Assert.Equal(64, await pool.Submit(PoolWork.Square, 8).WaitAsync(Patience));
    }

    [Fact]
    public async Task BatonWorker_WithoutTheAppsCode_RefusesTheTask_WithAClearError()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { LocalWorkers = 0, Listen = "tcp://127.0.0.1:0" });
        await using var worker = RemoteWorkerProcess.StartCli(null, "--connect", pool.Endpoint!, "--workers", "1");
        await WaitForWorkersAsync(pool, 1, worker);
        var refused = await Assert.ThrowsAsync<TaskRefusedException>(() => pool.Submit(PoolWork.Square, 3).WaitAsync(Patience));
        Assert.Contains("Baton.Processes.Tests", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--load", refused.Message, StringComparison.Ordinal);
        // Code shipping needs CURVE at both ends: the message says what to set.
        Assert.Contains("--curve-client SECRETKEYFILE --curve-serverkey POOLKEY", refused.Message, StringComparison.Ordinal);
        Assert.Contains("SocketSecurity.CurveServer", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatonWorker_SigtermStopsIt_With143_AndItsWorkersGo()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { LocalWorkers = 0, Listen = "tcp://127.0.0.1:0" });
        await using var worker = RemoteWorkerProcess.StartCli(null, "--connect", pool.Endpoint!, "--workers", "1", "--load", RemoteWorkerProcess.TestAssemblyPath);
        await WaitForWorkersAsync(pool, 1, worker);
        var workerPid = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        worker.Signal("TERM");
        Assert.Equal(143, await worker.WaitForExitAsync(Patience));
        // Its worker process went with it (asked to stop, or ended with its parent).
        using var gone = new CancellationTokenSource(Patience);
        while (Directory.Exists($"/proc/{workerPid}") && !IsZombie(workerPid))
            await Task.Delay(20, gone.Token);
    }

    [Theory]
    [InlineData("--workers", "2")]
    [InlineData("--connect", "ipc:///tmp/x", "--workers", "2")]
    [InlineData("--connect", "tcp://127.0.0.1:1", "--workers", "none")]
    [InlineData("--connect", "tcp://127.0.0.1:1", "--load", "/no/such/file.dll")]
    public async Task BatonWorker_UsageErrors_ExitWith2_AndOnePlainLine(params string[] args)
    {
        await using var worker = RemoteWorkerProcess.StartCli(null, args);
        Assert.Equal(2, await worker.WaitForExitAsync(Patience));
        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("baton: ", lines[0], StringComparison.Ordinal);
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    [Fact]
    public async Task TheAppItself_WithBatonWorkerConnect_JoinsAsAWorker()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { LocalWorkers = 0, Listen = "tcp://127.0.0.1:0" });
        await using var app = RemoteWorkerProcess.StartSelf(pool.Endpoint!);
        await WaitForWorkersAsync(pool, 1, app);
        var pid = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        Assert.NotEqual(Environment.ProcessId, pid);
        Assert.Equal(49, await pool.Submit(PoolWork.Square, 7).WaitAsync(Patience));
    }

    [Fact]
    public async Task RemoteAndLocalWorkers_ShareOnePool()
    {
        await using var pool = new ProcessPool(new ProcessPoolOptions { LocalWorkers = 1, Listen = "tcp://127.0.0.1:0" });
        await using var worker = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "-l", RemoteWorkerProcess.TestAssemblyPath);
        await WaitForWorkersAsync(pool, 2, worker);
        var results = await pool.MapAsync(PoolWork.Square, Enumerable.Range(0, 200), chunkSize: 5).WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), results);
    }

    [Fact]
    public async Task TwoHosts_MadeOfNetworkNamespaces_PoolOnOneWorkerOnTheOther()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root" || !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip"))
        {
            // xunit 2 has no dynamic skip: say why and pass; the loopback tests above cover the protocol.
            Console.WriteLine("Skipped: two-host test needs root and iproute2 (ip netns, veth); the loopback tests cover remote workers.");
            return;
        }

        await using var hosts = await TwoHosts.CreateAsync();
        await using var pool = new ProcessPool(new ProcessPoolOptions { LocalWorkers = 0, Listen = $"tcp://{hosts.PoolAddress}:0" });
        await using var worker = RemoteWorkerProcess.StartCli(hosts.WorkerNamespace, "--connect", pool.Endpoint!, "--workers", "1", "--load", RemoteWorkerProcess.TestAssemblyPath);
        await WaitForWorkersAsync(pool, 1, worker);
        var pid = await pool.Submit(PoolWork.Pid).WaitAsync(Patience);
        // The task ran in the other network stack: the worker's network namespace is not ours.
        Assert.NotEqual(NetworkNamespaceOf(Environment.ProcessId), NetworkNamespaceOf(pid));
        Assert.Equal([1, 4, 9], await pool.MapAsync(PoolWork.Square, [1, 2, 3]).WaitAsync(Patience));
    }

    private static string NetworkNamespaceOf(int pid) => new FileInfo($"/proc/{pid}/ns/net").LinkTarget ?? "";

    private static async Task WaitForWorkersAsync(ProcessPool pool, int count, RemoteWorkerProcess worker)
    {
        try
        {
            await pool.WaitForWorkersAsync(count).WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No remote worker joined; its output:\n{worker.Output}");
        }
    }

    /// <summary>A veth pair between this namespace (the pool's host) and a new one (the worker's host), removed on dispose.</summary>
    private sealed class TwoHosts : IAsyncDisposable
    {
        private readonly string _link;

        private TwoHosts(string ns, string link, string poolAddress)
        {
            WorkerNamespace = ns;
            _link = link;
            PoolAddress = poolAddress;
        }

        public string WorkerNamespace { get; }

        public string PoolAddress { get; }

        public static async Task<TwoHosts> CreateAsync()
        {
            var id = Random.Shared.Next(1, 250);
            var ns = $"baton-pool-{Environment.ProcessId}-{id}";
            var link = $"bp{Environment.ProcessId % 100000}x{id}";
            var peer = link + "p";
            var subnet = $"10.{200 + Random.Shared.Next(0, 50)}.{id}";
            var hosts = new TwoHosts(ns, link, $"{subnet}.1");
            try
            {
                await IpAsync("netns", "add", ns);
                await IpAsync("link", "add", link, "type", "veth", "peer", "name", peer);
                await IpAsync("link", "set", peer, "netns", ns);
                await IpAsync("addr", "add", $"{subnet}.1/30", "dev", link);
                await IpAsync("link", "set", link, "up");
                await IpAsync("netns", "exec", ns, "ip", "addr", "add", $"{subnet}.2/30", "dev", peer);
                await IpAsync("netns", "exec", ns, "ip", "link", "set", peer, "up");
                await IpAsync("netns", "exec", ns, "ip", "link", "set", "lo", "up");
                return hosts;
            }
            catch
            {
                await hosts.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await IpAsync(tolerant: true, "link", "del", _link);
            await IpAsync(tolerant: true, "netns", "del", WorkerNamespace);
        }

        private static Task IpAsync(params string[] args) => IpAsync(false, args);

        private static async Task IpAsync(bool tolerant, params string[] args)
        {
            var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in args)
                info.ArgumentList.Add(arg);
            using var ip = Process.Start(info)!;
            var error = await ip.StandardError.ReadToEndAsync();
            await ip.WaitForExitAsync();
            if (ip.ExitCode != 0 && !tolerant)
                throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({ip.ExitCode.ToString(CultureInfo.InvariantCulture)}): {error}");
        }
    }
}
