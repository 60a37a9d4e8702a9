namespace Baton.Processes.Tests.Children;

/// <summary>Methods the tests run in child processes.</summary>
internal static class Work
{
    public static int Square(int x) => x * x;

    public static string Describe(int number, string text, double[] values, Basket basket) =>
        $"{number}|{text}|{string.Join(",", values)}|{basket.Spot.X},{basket.Spot.Y}|{basket.Owner}:{string.Join(",", basket.Items)}";

    public static async Task<int> SquareLaterAsync(int x)
    {
        await Task.Delay(1).ConfigureAwait(false);
        return x * x;
    }

    public static async ValueTask<string> EchoAsync(string text)
    {
        await Task.Yield();
        return text;
    }

    public static int Pid() => Environment.ProcessId;

    public static void WriteFile(string path, string text) => File.WriteAllText(path, text);

    public static async Task WriteFileLaterAsync(string path, string text)
    {
        await Task.Yield();
        await File.WriteAllTextAsync(path, text).ConfigureAwait(false);
    }

    public static string? Variable(string name) => Environment.GetEnvironmentVariable(name);

    public static string CurrentDirectory() => Environment.CurrentDirectory;

    public static bool StandardInputIsEmpty() => Console.In.Peek() == -1;

    public static void Throw(string message) => throw new InvalidOperationException(message);

    public static int ThrowUser(string message) => throw new WorkFailedException(message, new ArgumentException("inner cause"));

    public static int ThrowOdd(int code) => throw new OddException(code);

    public static Stream OpenStream() => Stream.Null;

    public static int Consume(Action action) => action.GetHashCode();

    public static int Exit(int code)
    {
        Environment.Exit(code);
        return 0;
    }

    public static async Task<int> WaitForStopAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        return 0;
    }

    public static int Overflow(int depth) => Overflow(depth + 1) + 1;

    public static int FailFast(string message)
    {
        Environment.FailFast(message);
        return 0;
    }

    /// <summary>Starts a grandchild that sleeps; publishes its pid in a file, then returns it or blocks for ever.</summary>
    public static int StartGrandchild(string pidFile, bool daemon, bool stayAlive)
    {
        // Hang ignores every request to stop: only the parent-death watch or a signal can end it.
        var grandchild = ChildProcess.Start(Hang, new ChildProcessOptions { Daemon = daemon });
        File.WriteAllText(pidFile + ".tmp", grandchild.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        File.Move(pidFile + ".tmp", pidFile);
        if (stayAlive)
            Thread.Sleep(Timeout.Infinite);
        return grandchild.Pid;
    }

    /// <summary>Points this process's stdout and stderr at a file, then runs a grandchild that writes to both.</summary>
    public static int RunWriterWithOutputIn(string path)
    {
        using (var file = File.OpenHandle(path, FileMode.Create, FileAccess.Write))
        {
            TestLibC.Dup2((int)file.DangerousGetHandle(), 1);
            TestLibC.Dup2((int)file.DangerousGetHandle(), 2);
        }

        var writer = ChildProcess.Start(WriteToConsole, "marker");
        return writer.Result.GetAwaiter().GetResult();
    }

    public static int WriteToConsole(string marker)
    {
        Console.Out.WriteLine("stdout " + marker);
        Console.Out.Flush();
        Console.Error.WriteLine("stderr " + marker);
        Console.Error.Flush();
        return 0;
    }

    public static int Hang()
    {
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    public static int Sleep(CancellationToken cancellationToken)
    {
        cancellationToken.WaitHandle.WaitOne();
        return 1;
    }
}

/// <summary>A record argument.</summary>
public sealed record Point(int X, int Y);

/// <summary>A plain class argument (no attributes).</summary>
public sealed class Basket
{
    public string Owner { get; set; } = "";

    public List<string> Items { get; set; } = [];

    public Point Spot { get; set; } = new(0, 0);
}

/// <summary>A user exception type with the usual constructors.</summary>
public sealed class WorkFailedException : Exception
{
    public WorkFailedException()
    {
    }

    public WorkFailedException(string message)
        : base(message)
    {
    }

    public WorkFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>An exception that cannot be rebuilt here (no message constructor) and whose Data holds an object.</summary>
public sealed class OddException : Exception
{
    public OddException(int code)
        : base($"odd {code}")
    {
        Data["payload"] = new object();
        Data["code"] = code;
    }
}
