using System.Runtime.Loader;
using Baton.Security;
using Baton.Sockets;
using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>
/// Remote workers over CURVE: `baton worker` with --curve-client/--curve-serverkey joins a pool whose Listen socket
/// is a CURVE server, gets the code it lacks shipped (checked by hash, loaded in an isolated context), and workers
/// with the wrong pool key or a key the pool does not admit never join, while the pool goes on serving.
/// </summary>
public sealed class SecureRemoteWorkerTests : IDisposable
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    private readonly string _keys = Directory.CreateTempSubdirectory("baton-ship-keys-").FullName;
    private readonly CurveKeyPair _pool = CurveKeyPair.Generate();

    public void Dispose() => Directory.Delete(_keys, recursive: true);

    [Fact]
    public async Task CurveWorker_LackingTheTasksAssembly_GetsItShipped_AndRunsItInAnIsolatedContext()
    {
        var worker = NewWorkerKey("worker");
        await using var pool = new ProcessPool(PoolOptions() with { CurveAllowKeys = [worker.Public] });
        // No --load: the worker has no copy of this test assembly, nor of xunit.
        await using var process = RemoteWorkerProcess.StartCli(null, "--connect", pool.Endpoint!, "--workers", "1", "--curve-client", worker.SecretFile, "--curve-serverkey", _pool.PublicKeyZ85);
        await WaitForWorkersAsync(pool, 1, process);

        var where = await pool.Submit(ShippedWork.WhereDoIRun).WaitAsync(Patience);
        Assert.NotEqual(Environment.ProcessId, where.Pid);
        Assert.Equal(ShippedAssemblyName(pool), where.Context);          // the task's assembly: shipped, isolated
        Assert.Equal(ShippedAssemblyName(pool), where.DependencyContext); // its dependency (xunit.assert): fetched when first needed
        Assert.Equal(0, where.DefaultContextCopies);                        // never loaded in the worker's default context

        // Map chunks resolve the method the same way; further tasks reuse what was shipped.
        Assert.Equal([0, 1, 4, 9, 16, 25], await pool.MapAsync(PoolWork.Square, Enumerable.Range(0, 6), chunkSize: 2).WaitAsync(Patience));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.Submit(PoolWork.Throw, "from shipped code").WaitAsync(Patience));
        Assert.Equal("from shipped code", failure.Message);
    }

    [Fact]
    public async Task ThePoolsInitializer_IsShippedToo_AndRunsBeforeTheFirstTask()
    {
        var worker = NewWorkerKey("worker");
        await using var pool = new ProcessPool(PoolOptions() with { Initializer = (Action<string>)PoolWork.Initialize, InitializerArguments = ["shipped"] });
        await using var process = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "--curve-client", worker.SecretFile, "--curve-serverkey", _pool.PublicKeyZ85);
        await WaitForWorkersAsync(pool, 1, process);
        var state = await pool.Submit(PoolWork.InitializerState).WaitAsync(Patience);
        Assert.EndsWith(":1:shipped", state, StringComparison.Ordinal); // the same shipped copy of PoolWork: initialized once
    }

    [Fact]
    public async Task ShippedBytes_ThatFailTheirHash_AreRefused()
    {
        var worker = NewWorkerKey("worker");
        await using var pool = new ProcessPool(PoolOptions() with { CorruptShippedHashes = true });
        await using var process = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "--curve-client", worker.SecretFile, "--curve-serverkey", Path.Combine(_keys, "pool.key"));
        await WaitForWorkersAsync(pool, 1, process);
        var refused = await Assert.ThrowsAsync<TaskRefusedException>(() => pool.Submit(PoolWork.Square, 3).WaitAsync(Patience));
        Assert.Contains("SHA-256", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Baton.Processes.Tests", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APoolThatDoesNotShip_RefusesTheTask_SayingSo()
    {
        var worker = NewWorkerKey("worker");
        await using var pool = new ProcessPool(PoolOptions() with { ShipAssemblies = false });
        await using var process = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "--curve-client", worker.SecretFile, "--curve-serverkey", _pool.PublicKeyZ85);
        await WaitForWorkersAsync(pool, 1, process);
        var refused = await Assert.ThrowsAsync<TaskRefusedException>(() => pool.Submit(PoolWork.Square, 3).WaitAsync(Patience));
        Assert.Contains("ShipAssemblies is false", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WorkersWithTheWrongPoolKey_OrAKeyNotAdmitted_NeverJoin_AndThePoolServesTheOthers()
    {
        var good = NewWorkerKey("good");
        var stranger = NewWorkerKey("stranger");
        var allowed = Directory.CreateDirectory(Path.Combine(_keys, "allowed")).FullName;
        File.Copy(Path.Combine(_keys, "good.key"), Path.Combine(allowed, "good.key"));
        await using var pool = new ProcessPool(PoolOptions() with { CurveAllowDirectory = allowed });

        // Started first: a worker that trusts another pool key, and one whose key the pool does not admit.
        var impostor = CurveKeyPair.Generate();
        await using var wrongKey = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "--curve-client", good.SecretFile, "--curve-serverkey", impostor.PublicKeyZ85);
        await using var notAdmitted = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "--curve-client", stranger.SecretFile, "--curve-serverkey", _pool.PublicKeyZ85);
        await using var admitted = RemoteWorkerProcess.StartCli(null, "-c", pool.Endpoint!, "-w", "1", "--curve-client", good.SecretFile, "--curve-serverkey", _pool.PublicKeyZ85);
        await WaitForWorkersAsync(pool, 1, admitted);

        Assert.Equal([1, 4, 9], await pool.MapAsync(PoolWork.Square, [1, 2, 3]).WaitAsync(Patience));
        // Both refused workers keep trying (their supervisors and worker processes are up) and never make a second worker.
        await Assert.ThrowsAsync<TimeoutException>(() => pool.WaitForWorkersAsync(2).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(49, await pool.Submit(PoolWork.Square, 7).WaitAsync(Patience));
        Assert.False(wrongKey.HasExited);
        Assert.False(notAdmitted.HasExited);
    }

    [Fact]
    public async Task TheAppItself_WithTheCurveEnvironment_JoinsACurvePool()
    {
        var worker = NewWorkerKey("app");
        await using var pool = new ProcessPool(PoolOptions() with { CurveAllowKeys = [worker.Public] });
        await using var app = RemoteWorkerProcess.StartSelf(pool.Endpoint!, new Dictionary<string, string>
        {
            [ProcessPoolWorker.CurveClientVariable] = worker.SecretFile,
            [ProcessPoolWorker.CurveServerKeyVariable] = Path.Combine(_keys, "pool.key"),
        });
        await WaitForWorkersAsync(pool, 1, app);
        Assert.Equal(49, await pool.Submit(PoolWork.Square, 7).WaitAsync(Patience));
    }

    [Theory]
    [InlineData("worker only connects", "--curve-server", "KEYS/pool.key_secret")]
    [InlineData("worker only connects", "--curve-client", "KEYS/worker.key_secret", "--curve-serverkey", "KEYS/pool.key", "--curve-allow", "KEYS")]
    [InlineData("worker only connects", "--plain-allow", "admin:secret")]
    [InlineData("--curve-serverkey", "--curve-client", "KEYS/worker.key_secret")]
    [InlineData("no key file", "--curve-client", "KEYS/none.key_secret", "--curve-serverkey", "KEYS/pool.key")]
    [InlineData("not both", "--curve-client", "KEYS/worker.key_secret", "--curve-serverkey", "KEYS/pool.key", "--plain", "a:b")]
    public async Task BatonWorker_SecurityUsageErrors_ExitWith2_AndOnePlainLine(string problem, params string[] flags)
    {
        PoolOptions();
        NewWorkerKey("worker");
        string[] args = ["--connect", "tcp://127.0.0.1:1", .. flags.Select(f => f.Replace("KEYS", _keys, StringComparison.Ordinal))];
        await using var worker = RemoteWorkerProcess.StartCli(null, args);
        Assert.Equal(2, await worker.WaitForExitAsync(Patience));
        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("baton: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(problem, lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void AllowListWithoutCurve_IsRefusedAtTheStart()
    {
        var error = Assert.Throws<ArgumentException>(() => new ProcessPool(new ProcessPoolOptions { LocalWorkers = 0, Listen = "tcp://127.0.0.1:0", CurveAllowKeys = [_pool.PublicKeyZ85] }));
        Assert.Contains("SocketSecurity.CurveServer", error.Message, StringComparison.Ordinal);
    }

    private ProcessPoolOptions PoolOptions()
    {
        CurveKeyFiles.Write(_keys, "pool", _pool);
        return new ProcessPoolOptions { LocalWorkers = 0, Listen = "tcp://127.0.0.1:0", Security = SocketSecurity.CurveServer(_pool.SecretKey!) };
    }

    private (string SecretFile, string Public) NewWorkerKey(string name)
    {
        var keys = CurveKeyPair.Generate();
        var (_, secretFile) = CurveKeyFiles.Write(_keys, name, keys);
        return (secretFile, keys.PublicKeyZ85);
    }

    private static string ShippedAssemblyName(ProcessPool pool) => "Baton shipped code from " + pool.Endpoint;

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
}

/// <summary>Tasks that report where their code was loaded, run by a worker that received this assembly from the pool.</summary>
public static class ShippedWork
{
    /// <summary>Where a task runs and which load contexts hold its code.</summary>
    public sealed record Where(int Pid, string Context, string DependencyContext, int DefaultContextCopies);

    public static Where WhereDoIRun()
    {
        Assert.True(true); // touches xunit.assert, which the worker lacks: fetched through the shipped context
        var copies = 0;
        foreach (var assembly in AssemblyLoadContext.Default.Assemblies)
        {
            if (assembly.GetName().Name is "Baton.Processes.Tests" or "xunit.assert")
                copies++;
        }

        return new Where(
            Environment.ProcessId,
            AssemblyLoadContext.GetLoadContext(typeof(ShippedWork).Assembly)?.Name ?? "?",
            AssemblyLoadContext.GetLoadContext(typeof(Assert).Assembly)?.Name ?? "?",
            copies);
    }
}
