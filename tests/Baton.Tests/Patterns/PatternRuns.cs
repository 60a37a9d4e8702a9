using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>Ends a pattern's <c>RunAsync</c> loops the way every pattern test does.</summary>
internal static class PatternRuns
{
    /// <summary>
    /// Cancels <paramref name="cancel"/> and asserts that each run ends cancelled within <see cref="TestUtil.Timeout"/>:
    /// a run that ignores the cancellation fails the test (TimeoutException) instead of hanging it.
    /// </summary>
    public static async Task StopAsync(CancellationTokenSource cancel, params IEnumerable<Task> runs)
    {
        await cancel.CancelAsync();
        foreach (var run in runs)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TestUtil.Timeout));
        }
    }
}
