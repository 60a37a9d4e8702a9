using Xunit;

namespace Baton.Processes.Tests.Children;

/// <summary>How children end: crashes, parent death, daemon and non-daemon children at the parent's exit, output.</summary>
public sealed class ChildLifetimeTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string folder = Directory.CreateTempSubdirectory("baton-child-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task FailFast_FailsTheResult_WithSigabrt()
    {
        await using var child = ChildProcess.Start(Work.FailFast, "a deliberate crash in a test");
        var error = await Assert.ThrowsAsync<ProcessExitedException>(() => child.Result.WaitAsync(Patience));
        Assert.Equal(6, error.Signal);
        Assert.Equal(child.Pid, error.Pid);
        Assert.Contains("Work.FailFast", error.Message, StringComparison.Ordinal);
        Assert.Equal(-6, child.ExitCode);
    }

    [Fact]
    public async Task StackOverflow_FailsTheResult()
    {
        await using var child = ChildProcess.Start(Work.Overflow, 0);
        var error = await Assert.ThrowsAsync<ProcessExitedException>(() => child.Result.WaitAsync(Patience));
        Assert.NotNull(error.Signal);
        Assert.Equal(child.ExitCode, error.ExitCode);
    }

    [Fact]
    public async Task KillFromOutside_FailsTheResult_NamingTheSignal()
    {
        await using var child = ChildProcess.Start(Work.Sleep, CancellationToken.None);
        Assert.Equal(0, TestLibC.Kill(child.Pid, 9));
        var error = await Assert.ThrowsAsync<ProcessExitedException>(() => child.Result.WaitAsync(Patience));
        Assert.Equal(9, error.Signal);
        Assert.Contains($"process {child.Pid}", error.Message, StringComparison.Ordinal);
        Assert.Contains("signal 9", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grandchild_DiesWhenItsParentIsKilled()
    {
        var pidFile = Path.Combine(folder, "grandchild.pid");
        await using var child = ChildProcess.Start(Work.StartGrandchild, pidFile, false, true);
        var grandchild = await ReadPidAsync(pidFile, child);
        using var reaper = new KillAtEnd(grandchild);
        child.Kill();
        Assert.True(await child.JoinAsync(Patience));
        Assert.True(TestLibC.WaitForExit(grandchild, Patience), $"grandchild {grandchild} outlived its parent");
    }

    [Fact]
    public async Task DaemonGrandchild_IsKilledWhenItsParentExits()
    {
        var pidFile = Path.Combine(folder, "daemon.pid");
        await using var child = ChildProcess.Start(Work.StartGrandchild, pidFile, true, false);
        var grandchild = await child.Result.WaitAsync(Patience);
        using var reaper = new KillAtEnd(grandchild);
        Assert.True(await child.JoinAsync(Patience));
        Assert.Equal(0, child.ExitCode);
        Assert.True(TestLibC.WaitForExit(grandchild, Patience), $"daemon grandchild {grandchild} outlived its parent");
    }

    [Fact]
    public async Task NonDaemonGrandchild_IsWaitedForAtItsParentsExit()
    {
        var pidFile = Path.Combine(folder, "worker.pid");
        await using var child = ChildProcess.Start(Work.StartGrandchild, pidFile, false, false);
        var grandchild = await child.Result.WaitAsync(Patience);
        using var reaper = new KillAtEnd(grandchild);
        // The child has returned, yet it waits at exit for its non-daemon grandchild, as Python does.
        Assert.False(await child.JoinAsync(TimeSpan.FromMilliseconds(200)));
        Assert.True(child.IsAlive);
        TestLibC.Kill(grandchild, 15);
        Assert.True(await child.JoinAsync(Patience));
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public async Task Terminate_CascadesToNonDaemonGrandchildren()
    {
        var pidFile = Path.Combine(folder, "terminated.pid");
        await using var child = ChildProcess.Start(Work.StartGrandchild, pidFile, false, true);
        var grandchild = await ReadPidAsync(pidFile, child);
        using var reaper = new KillAtEnd(grandchild);
        child.Terminate();
        // Without the cascade the child would wait ExitJoinTimeout (30 s) for its grandchild.
        Assert.True(await child.JoinAsync(TimeSpan.FromSeconds(20)), "the terminated child waited for its grandchild");
        Assert.Equal(-15, child.ExitCode);
        Assert.True(TestLibC.WaitForExit(grandchild, Patience));
    }

    [Fact]
    public async Task ChildOutput_GoesToTheParentsStdoutAndStderr()
    {
        // The middle child points its fds 1 and 2 at a file; its own child's console output must land there.
        var output = Path.Combine(folder, "output.txt");
        await using var child = ChildProcess.Start(Work.RunWriterWithOutputIn, output);
        Assert.Equal(0, await child.Result.WaitAsync(Patience));
        Assert.True(await child.JoinAsync(Patience));
        var text = await File.ReadAllTextAsync(output);
        Assert.Contains("stdout marker", text, StringComparison.Ordinal);
        Assert.Contains("stderr marker", text, StringComparison.Ordinal);
    }

    /// <summary>Kills a grandchild when the test ends, passed or failed, so no test leaves a process behind.</summary>
    private sealed class KillAtEnd(int pid) : IDisposable
    {
        public void Dispose() => TestLibC.Kill(pid, 9);
    }

    private static async Task<int> ReadPidAsync(string pidFile, ChildProcess child)
    {
        // The child publishes the pid with an atomic rename; poll for it, watching the child's own exit.
        var deadline = DateTime.UtcNow + Patience;
        while (!File.Exists(pidFile))
        {
            Assert.True(child.IsAlive, "the child ended before publishing its grandchild's pid");
            Assert.True(DateTime.UtcNow < deadline, "no grandchild pid within the patience");
            await Task.Delay(20);
        }

        return int.Parse(await File.ReadAllTextAsync(pidFile), System.Globalization.CultureInfo.InvariantCulture);
    }
}
