using Xunit;

namespace Baton.Processes.Tests.Children;

/// <summary>ChildProcess: a method of this assembly runs in a real child process and its result comes back.</summary>
public class ChildProcessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task StaticMethod_ResultComesBack()
    {
        await using var child = ChildProcess.Start(Work.Square, 7);
        Assert.Equal(49, await child.Result.WaitAsync(Patience));
        Assert.True(await child.JoinAsync(Patience));
        Assert.Equal(0, child.ExitCode);
        Assert.False(child.IsAlive);
    }

    [Fact]
    public async Task DisposeAfterTheResult_LetsTheChildExitOnItsOwn()
    {
        var child = ChildProcess.Start(Work.Square, 3);
        Assert.Equal(9, await child.Result.WaitAsync(Patience));
        await child.DisposeAsync();
        Assert.Equal(0, child.ExitCode);
    }

    [Fact]
    public async Task DisposeWhileRunning_KillsTheChild()
    {
        var child = ChildProcess.Start(Work.Hang);
        await child.DisposeAsync();
        Assert.Equal(-9, child.ExitCode);
        await Assert.ThrowsAsync<ProcessExitedException>(() => child.Result);
    }

    [Fact]
    public async Task NonCapturingLambda_RunsInAnotherProcess()
    {
        await using var child = ChildProcess.Start(() => Environment.ProcessId);
        var pid = await child.Result.WaitAsync(Patience);
        Assert.Equal(child.Pid, pid);
        Assert.NotEqual(Environment.ProcessId, pid);
    }

    [Fact]
    public async Task AsyncLambda_ResultComesBack()
    {
        await using var child = ChildProcess.Start(async () => { await Task.Yield(); return 42; });
        Assert.Equal(42, await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task Arguments_OfSeveralTypes_ReachTheChild()
    {
        var basket = new Basket { Owner = "ann", Items = ["pear", "fig"], Spot = new Point(4, 5) };
        await using var child = ChildProcess.Start(Work.Describe, 3, "text", new[] { 1.5, 2.5 }, basket);
        Assert.Equal("3|text|1.5,2.5|4,5|ann:pear,fig", await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task AsyncMethods_AreAwaitedInTheChild()
    {
        await using var task = ChildProcess.Start(Work.SquareLaterAsync, 5);
        await using var valueTask = ChildProcess.Start(Work.EchoAsync, "hello");
        Assert.Equal(25, await task.Result.WaitAsync(Patience));
        Assert.Equal("hello", await valueTask.Result.WaitAsync(Patience));
    }

    [Fact]
    public void CapturingLambda_IsRefusedAtTheCall()
    {
        var secret = 5;
        var error = Assert.Throws<ArgumentException>(() => ChildProcess.Start(() => secret * 2));
        Assert.Contains("'secret'", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass the state as an argument", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnserializableArgument_IsRefusedBeforeStart()
    {
        var error = Assert.Throws<ArgumentException>(() => ChildProcess.Start(Work.Consume, () => { }));
        Assert.Contains("System.Action", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exception_ComesBackAsItsType_AndTheChildExitsWithOne()
    {
        await using var child = ChildProcess.Start(Work.Throw, "from the child");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => child.Completion.WaitAsync(Patience));
        Assert.Equal("from the child", error.Message);
        Assert.Contains(nameof(Work.Throw), error.StackTrace, StringComparison.Ordinal);
        Assert.True(await child.JoinAsync(Patience));
        Assert.Equal(1, child.ExitCode);
    }

    [Fact]
    public async Task UserAndUnrebuildableExceptions_ComeBack()
    {
        await using var user = ChildProcess.Start(Work.ThrowUser, "bad");
        await using var odd = ChildProcess.Start(Work.ThrowOdd, 7);
        var userError = await Assert.ThrowsAsync<WorkFailedException>(() => user.Result.WaitAsync(Patience));
        Assert.IsType<ArgumentException>(userError.InnerException);
        var oddError = await Assert.ThrowsAsync<RemoteException>(() => odd.Result.WaitAsync(Patience));
        Assert.Equal(typeof(OddException).FullName, oddError.RemoteTypeName);
    }

    [Fact]
    public async Task EnvironmentExit_FailsTheResult_WithTheExitCode()
    {
        await using var child = ChildProcess.Start(Work.Exit, 3);
        var error = await Assert.ThrowsAsync<ProcessExitedException>(() => child.Result.WaitAsync(Patience));
        Assert.Equal(3, error.ExitCode);
        Assert.Null(error.Signal);
        Assert.Equal(child.Pid, error.Pid);
        Assert.Contains(child.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Contains("Work.Exit", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, child.ExitCode);
    }

    [Fact]
    public async Task Kill_GivesMinusNine_AndFailsTheResult()
    {
        await using var child = ChildProcess.Start(Work.Sleep, CancellationToken.None);
        Assert.False(await child.JoinAsync(TimeSpan.FromMilliseconds(50)));
        Assert.True(child.IsAlive);
        Assert.Null(child.ExitCode);
        child.Kill();
        Assert.True(await child.JoinAsync(Patience));
        Assert.Equal(-9, child.ExitCode);
        var error = await Assert.ThrowsAsync<ProcessExitedException>(() => child.Result.WaitAsync(Patience));
        Assert.Equal(9, error.Signal);
        Assert.Contains("SIGKILL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminate_GivesMinusFifteen()
    {
        await using var child = ChildProcess.Start(Work.Sleep, CancellationToken.None);
        child.Terminate();
        Assert.True(child.Join(Patience));
        Assert.Equal(-15, child.ExitCode);
    }

    [Fact]
    public async Task RequestStop_SignalsTheMethodsToken()
    {
        await using var child = ChildProcess.Start(Work.Sleep, CancellationToken.None);
        child.RequestStop();
        Assert.Equal(1, await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task CancellingTheTokenArgument_StopsTheChild()
    {
        using var stop = new CancellationTokenSource();
        await using var child = ChildProcess.Start(Work.Sleep, stop.Token);
        await stop.CancelAsync();
        Assert.Equal(1, await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task Child_SeesTheUsersEnvironment_WithoutBatonsVariables()
    {
        await using var role = ChildProcess.Start(Work.Variable, "BATON_CHILD");
        await using var parent = ChildProcess.Start(Work.Variable, "BATON_PARENT_PID");
        await using var hooks = ChildProcess.Start(Work.Variable, "DOTNET_STARTUP_HOOKS");
        Assert.Null(await role.Result.WaitAsync(Patience));
        Assert.Null(await parent.Result.WaitAsync(Patience));
        Assert.Equal(Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS"), await hooks.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task Options_SetEnvironmentWorkingDirectoryAndName()
    {
        var folder = Directory.CreateTempSubdirectory("baton-cwd-");
        try
        {
            var options = new ChildProcessOptions
            {
                Name = "worker-a",
                WorkingDirectory = folder.FullName,
                Environment = new Dictionary<string, string?> { ["BATON_TEST_VALUE"] = "forty-two" },
            };
            await using var variable = ChildProcess.Start(Work.Variable, "BATON_TEST_VALUE", options);
            await using var directory = ChildProcess.Start(Work.CurrentDirectory, options);
            Assert.Equal("forty-two", await variable.Result.WaitAsync(Patience));
            Assert.Equal(folder.FullName, await directory.Result.WaitAsync(Patience));
            Assert.Equal("worker-a", variable.Name);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task StandardInput_IsEmpty_AsInPython()
    {
        await using var child = ChildProcess.Start(Work.StandardInputIsEmpty);
        Assert.True(await child.Result.WaitAsync(Patience));
    }

    [Fact]
    public async Task MethodsReturningNothing_CompleteTheirCompletion()
    {
        var folder = Directory.CreateTempSubdirectory("baton-void-");
        try
        {
            var first = Path.Combine(folder.FullName, "first.txt");
            var second = Path.Combine(folder.FullName, "second.txt");
            await using var action = ChildProcess.Start(Work.WriteFile, first, "one");
            await using var asyncAction = ChildProcess.Start(Work.WriteFileLaterAsync, second, "two");
            await action.Completion.WaitAsync(Patience);
            await asyncAction.Completion.WaitAsync(Patience);
            Assert.Equal("one", await File.ReadAllTextAsync(first));
            Assert.Equal("two", await File.ReadAllTextAsync(second));
            Assert.IsNotType<ChildProcess<object>>(action);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ExceptionFromAMethodReturningNothing_FailsCompletion()
    {
        await using var child = ChildProcess.Start(Work.Throw, "void boom");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => child.Completion.WaitAsync(Patience));
        Assert.Equal("void boom", error.Message);
    }
}
