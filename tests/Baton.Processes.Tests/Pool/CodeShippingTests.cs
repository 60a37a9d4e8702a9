using System.Runtime.Loader;
using System.Security.Cryptography;
using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>The two ends of code shipping without a network: what the pool packs, and what a worker accepts and where it loads it.</summary>
public class CodeShippingTests
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    [Fact]
    public async Task Shipper_PacksAnAppAssembly_WithItsSha256()
    {
        var shipper = new AssemblyShipper();
        var name = typeof(CodeShippingTests).Assembly.FullName!;
        var parcel = await shipper.GetAsync(name).WaitAsync(Patience);
        Assert.Null(parcel.Refusal);
        Assert.Equal(await File.ReadAllBytesAsync(typeof(CodeShippingTests).Assembly.Location), parcel.Bytes);
        Assert.Equal(SHA256.HashData(parcel.Bytes), parcel.Hash);
        var again = await shipper.GetAsync("Baton.Processes.Tests").WaitAsync(Patience);
        Assert.Same(parcel.Bytes, again.Bytes); // read once, and found by simple name too
    }

    [Theory]
    [InlineData("System.Private.CoreLib", ".NET runtime")]
    [InlineData("System.Text.Json", ".NET runtime")]
    [InlineData("Baton.Processes", "part of Baton")]
    [InlineData("Baton", "part of Baton")]
    [InlineData("baton.PROCESSES", "part of Baton")]
    [InlineData("No.Such.Assembly.Anywhere", "has no assembly named No.Such.Assembly.Anywhere")]
    [InlineData("../../etc/passwd", "no assembly named")]
    [InlineData(",,,", "not an assembly name")]
    public async Task Shipper_RefusesWhatIsNotTheAppsOwn(string name, string reason)
    {
        var parcel = await new AssemblyShipper().GetAsync(name).WaitAsync(Patience);
        Assert.NotNull(parcel.Refusal);
        Assert.Contains(reason, parcel.Refusal, StringComparison.Ordinal);
        Assert.Empty(parcel.Bytes);
    }

    [Fact]
    public async Task ShippedContext_LoadsACheckedAssembly_InItsOwnContext_AndFetchesWhatTheWorkerLacks_Lazily()
    {
        // This test assembly is loaded in this process's default context too; shipped, it loads apart.
        var shipper = new AssemblyShipper();
        var cliFolder = Path.GetDirectoryName(RemoteWorkerProcess.CliPath())!;
        var asked = new List<string>();
        var context = new ShippedAssemblyContext("tcp://test:1", async name =>
        {
            lock (asked)
                asked.Add(name);
            if (name.StartsWith("System.CommandLine", StringComparison.Ordinal))
            {
                // A dependency this process lacks (the CLI's, not the tests'): the "pool" has it.
                var bytes = await File.ReadAllBytesAsync(Path.Combine(cliFolder, "System.CommandLine.dll"));
                return new ShippedAssemblyContext.Shipment(SHA256.HashData(bytes), bytes, null);
            }

            var parcel = await shipper.GetAsync(name);
            return new ShippedAssemblyContext.Shipment(parcel.Hash, parcel.Bytes, parcel.Refusal);
        });

        var acquired = await context.AcquireAsync(typeof(CodeShippingTests).Assembly.FullName!).WaitAsync(Patience);
        Assert.NotNull(acquired.Assembly);
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(acquired.Assembly));
        Assert.NotSame(typeof(CodeShippingTests).Assembly, acquired.Assembly);
        Assert.StartsWith(ShippedAssemblyContext.NamePrefix, context.Name, StringComparison.Ordinal);
        Assert.True(context.Has("Baton.Processes.Tests"));

        // What the default context has (the framework, Baton, here xunit) is shared from there, never fetched.
        var type = acquired.Assembly.GetType(typeof(ShippedDependencyProbe).FullName!, throwOnError: true)!;
        Assert.Equal("Default", (string)type.GetMethod(nameof(ShippedDependencyProbe.WhereIsXunitAssert))!.Invoke(null, null)!);
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(context.LoadFromAssemblyName(typeof(ProcessPool).Assembly.GetName())));

        // What it lacks comes through Resolving: asked for by name, checked, loaded in the shipped context.
        Assert.Throws<FileNotFoundException>(() => AssemblyLoadContext.Default.LoadFromAssemblyName(new System.Reflection.AssemblyName("System.CommandLine")));
        var dependency = context.LoadFromAssemblyName(new System.Reflection.AssemblyName("System.CommandLine"));
        Assert.Same(context, AssemblyLoadContext.GetLoadContext(dependency));
        Assert.Equal(["Baton.Processes.Tests", "System.CommandLine"], asked.Select(n => n.Split(',')[0]));
    }

    [Fact]
    public async Task ShippedContext_RefusesBytesThatFailTheirHash()
    {
        var bytes = await File.ReadAllBytesAsync(typeof(CodeShippingTests).Assembly.Location);
        var hash = SHA256.HashData(bytes);
        hash[5] ^= 1;
        var context = new ShippedAssemblyContext("tcp://test:2", _ => Task.FromResult(new ShippedAssemblyContext.Shipment(hash, bytes, null)));
        var acquired = await context.AcquireAsync("Baton.Processes.Tests").WaitAsync(Patience);
        Assert.Null(acquired.Assembly);
        Assert.Contains("SHA-256", acquired.Reason, StringComparison.Ordinal);
        Assert.False(context.Has("Baton.Processes.Tests"));
        Assert.Empty(context.Assemblies);
    }

    [Fact]
    public async Task ShippedContext_PassesOnThePoolsRefusal_AndAsksAgainLater()
    {
        var calls = 0;
        var context = new ShippedAssemblyContext("tcp://test:3", _ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(new ShippedAssemblyContext.Shipment(default, default, "the pool ships code only over CURVE"));
        });
        var first = await context.AcquireAsync("Some.App").WaitAsync(Patience);
        Assert.Null(first.Assembly);
        Assert.Contains("the pool did not ship assembly 'Some.App': the pool ships code only over CURVE", first.Reason, StringComparison.Ordinal);
        await context.AcquireAsync("Some.App").WaitAsync(Patience);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task ShippedContext_NeverFetchesBatonItself()
    {
        var calls = 0;
        var context = new ShippedAssemblyContext("tcp://test:4", _ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(new ShippedAssemblyContext.Shipment(default, default, "no"));
        });
        var acquired = await context.AcquireAsync("Baton.Processes, Version=99.0.0.0").WaitAsync(Patience);
        Assert.Null(acquired.Assembly);
        Assert.Contains("same Baton version", acquired.Reason, StringComparison.Ordinal);
        Assert.Equal(0, calls);
    }

    [Fact]
    public async Task ADependencyOnItsWay_StopsBeingAwaited_WhenItsTaskIsCancelled()
    {
        // The pool never answers: without the task's token the load would wait out the two-minute limit.
        var never = new TaskCompletionSource<ShippedAssemblyContext.Shipment>();
        var context = new ShippedAssemblyContext("tcp://test:1", _ => never.Task);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var started = System.Diagnostics.Stopwatch.StartNew();

        var load = Task.Run(() =>
        {
            ShippedAssemblyContext.TaskCancellation.Value = cancel.Token;
            return context.LoadFromAssemblyName(new System.Reflection.AssemblyName("No.Such.Dependency"));
        });

        await Assert.ThrowsAsync<FileNotFoundException>(() => load.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), $"the load waited {started.Elapsed}");
    }
}

/// <summary>Code run from a shipped copy of this assembly: where its dependency xunit.assert was loaded.</summary>
public static class ShippedDependencyProbe
{
    public static string WhereIsXunitAssert() => AssemblyLoadContext.GetLoadContext(typeof(Assert).Assembly)?.Name ?? "?";
}
