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
