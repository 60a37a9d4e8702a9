using Xunit;

namespace Baton.Processes.Tests.Children;

/// <summary>The spare is process-wide state: these tests run alone.</summary>
[CollectionDefinition(nameof(SpareCollection), DisableParallelization = true)]
public sealed class SpareCollection;

/// <summary>ChildProcess.KeepSpare: a child started ahead of need takes the next call.</summary>
[Collection(nameof(SpareCollection))]
public class SpareTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Spare_TakesTheNextCall_AndIsReplaced_AndGoesWhenTurnedOff()
    {
        ChildProcess.KeepSpare = true;
        try
        {
            var spare = await WaitForSpareAsync(previous: null);
            await using (var child = ChildProcess.Start(Work.Square, 8))
            {
                Assert.Equal(spare, child.Pid);
                Assert.Equal(64, await child.Result.WaitAsync(Patience));
                Assert.True(await child.JoinAsync(Patience));
                Assert.Equal(0, child.ExitCode);
            }

            var next = await WaitForSpareAsync(previous: spare);
            ChildProcess.KeepSpare = false;
            Assert.Null(ChildProcess.SparePid);
            Assert.True(TestLibC.WaitForExit(next, Patience), "the spare outlived KeepSpare = false");
        }
        finally
        {
            ChildProcess.KeepSpare = false;
        }
    }

    [Fact]
    public async Task Spare_IsNotUsed_ForAChildWithItsOwnEnvironment()
    {
        ChildProcess.KeepSpare = true;
        try
        {
            var spare = await WaitForSpareAsync(previous: null);
            var options = new ChildProcessOptions { Environment = new Dictionary<string, string?> { ["BATON_TEST_VALUE"] = "own" } };
            await using var child = ChildProcess.Start(Work.Variable, "BATON_TEST_VALUE", options);
            Assert.NotEqual(spare, child.Pid);
            Assert.Equal("own", await child.Result.WaitAsync(Patience));
            Assert.Equal(spare, ChildProcess.SparePid);
        }
        finally
        {
            ChildProcess.KeepSpare = false;
        }
    }

    private static async Task<int> WaitForSpareAsync(int? previous)
    {
        // The spare starts in the background; poll for it with a deadline.
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (ChildProcess.SparePid is { } pid && pid != previous)
                return pid;
            Assert.True(DateTime.UtcNow < deadline, "no spare within the patience");
            await Task.Delay(10);
        }
    }
}
