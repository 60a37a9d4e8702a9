namespace Baton.Bench.Cli;

/// <summary>A usage or environment problem of the benchmark; reported as one line on stderr.</summary>
internal sealed class BenchFailure(string message) : Exception(message)
{
    /// <summary>Turns expected failures into one stderr line and a non-zero exit code.</summary>
    public static async Task<int> Guard(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (Exception e) when (e is BenchFailure or BatonException or ArgumentException or NotSupportedException or InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            await Console.Error.WriteLineAsync($"baton bench: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
