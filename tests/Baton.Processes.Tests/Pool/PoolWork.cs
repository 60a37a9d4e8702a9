namespace Baton.Processes.Tests.Pool;

/// <summary>Methods the pool tests run in workers.</summary>
internal static class PoolWork
{
    private static int s_initialized;
    private static string s_initializerTag = "";

    public static int Square(int x) => x * x;

    public static async Task<int> SquareLaterAsync(int x)
    {
        await Task.Yield();
        return x * x;
    }

    public static long Add(int x, long y) => x + y;

    public static string Join3(int a, string b, double c) => $"{a}:{b}:{c}";

    public static int Pid() => Environment.ProcessId;

    public static int PidOf(int _) => Environment.ProcessId;

    public static void Initialize(string tag)
    {
        Interlocked.Increment(ref s_initialized);
        s_initializerTag = tag;
    }

    public static void FailToInitialize(string tag) => throw new InvalidOperationException("initializer says no: " + tag);

    /// <summary>How many times this worker ran the initializer, and with what.</summary>
    public static string InitializerState() => $"{Environment.ProcessId}:{Volatile.Read(ref s_initialized)}:{s_initializerTag}";

    public static int Throw(string message) => throw new InvalidOperationException(message);

    public static int ThrowWhenSeven(int x) => x == 7 ? throw new ArgumentOutOfRangeException(nameof(x), "seven is not allowed") : x;

    /// <summary>Writes this worker's pid to <paramref name="startedFile"/>, then waits for a cancellation that never comes.</summary>
    public static int BlockForever(string startedFile)
    {
        Started(startedFile);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>Writes the pid, then waits until cancelled, and says so by throwing.</summary>
    public static int BlockUntilCancelled(string startedFile, CancellationToken cancellationToken)
    {
        Started(startedFile);
        cancellationToken.WaitHandle.WaitOne();
        cancellationToken.ThrowIfCancellationRequested();
        return 0;
    }

    /// <summary>Writes the pid, then ignores cancellation for ever.</summary>
    public static int IgnoreCancellation(string startedFile, CancellationToken cancellationToken)
    {
        Started(startedFile);
        Thread.Sleep(Timeout.Infinite);
        return cancellationToken.GetHashCode();
    }

    public static int Exit(int code)
    {
        Environment.Exit(code);
        return 0;
    }

    public static int Overflow(int depth) => depth < 0 ? 0 : Overflow(depth + 1) + 1;

    public static int AllocateForever(int chunkMegabytes)
    {
        var hoard = new List<byte[]>();
        while (true)
        {
            var chunk = new byte[chunkMegabytes * 1024 * 1024];
            chunk.AsSpan().Fill(1);
            hoard.Add(chunk);
        }
    }

    private static readonly List<byte[]> Leak = [];

    /// <summary>Leaks <paramref name="megabytes"/> (touched, so it counts in the working set) and returns the pid.</summary>
    public static int LeakMegabytes(int megabytes)
    {
        var block = new byte[megabytes * 1024 * 1024];
        block.AsSpan().Fill(7);
        lock (Leak)
            Leak.Add(block);
        return Environment.ProcessId;
    }

    /// <summary>Kills its own worker (SIGKILL) every time: a poisonous task. Counts attempts in a file.</summary>
    public static int KillSelf(string countFile)
    {
        File.AppendAllText(countFile, "x");
        System.Diagnostics.Process.GetCurrentProcess().Kill();
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    /// <summary>Kills its worker the first <paramref name="failures"/> times (counted in a file), then succeeds.</summary>
    public static int KillSelfThenSucceed(string countFile, int failures)
    {
        File.AppendAllText(countFile, "x");
        if (File.ReadAllText(countFile).Length <= failures)
        {
            System.Diagnostics.Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite);
        }

        return 42;
    }

    public static Stream OpenStream() => Stream.Null;

    public static int Consume(Stream stream) => stream.GetHashCode();

    private static void Started(string startedFile)
    {
        // Written under another name and renamed, so the test never reads a half-written file.
        var temporary = startedFile + ".tmp";
        File.WriteAllText(temporary, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temporary, startedFile);
    }
}
