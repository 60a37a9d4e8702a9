using System.Globalization;

namespace Baton.Processes.Internal;

/// <summary>
/// The child's side of <see cref="ChildProcess"/>, run by the startup hook instead of Main: read the call
/// from the inherited control socket, run it, send the outcome, exit (0 after a result, 1 after an exception).
/// </summary>
internal static class ChildRuntime
{
    /// <summary>Exits with 1 when the method threw, as Python's child does.</summary>
    private const int ExitAfterException = 1;

    public static void Run(string descriptor)
    {
        if (!int.TryParse(descriptor, NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
        {
            Console.Error.WriteLine($"Baton: {ProcessLauncher.ChildVariable}={descriptor} is not a file descriptor.");
            Environment.Exit(ExitAfterException);
            return;
        }

        // Our control socket must not leak into processes the method starts: their holding it would hide our death.
        LibC.Fcntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC);
        int exitCode;
        try
        {
            exitCode = RunCall(fd);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Baton: the child process failed: {e}");
            exitCode = ExitAfterException;
        }

        Environment.Exit(exitCode);
    }

    private static int RunCall(int fd)
    {
        var channel = new ChildEnd(fd);
        if (!channel.HasData())
            Invocation.WarmUp(); // a spare, waiting for its call: prepare the call's path meanwhile
        if (channel.Receive() is not ({ } kind, { } call) || kind != ControlFrame.Call)
            return ExitAfterException; // the parent went away before sending the call

        var stop = new CancellationTokenSource();
        var watcher = new Thread(() => WatchForStop(channel, stop)) { IsBackground = true, Name = "Baton stop watch" };
        watcher.Start();
        byte[] outcome;
        try
        {
            outcome = Invocation.ExecuteAsync(call, stop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            outcome = Invocation.EncodeException(e);
        }

        channel.Send(ControlFrame.Outcome, outcome);
        return Invocation.IsException(outcome) ? ExitAfterException : 0;
    }

    private static void WatchForStop(ChildEnd channel, CancellationTokenSource stop)
    {
        // A Stop frame, or end of stream (the parent no longer listens), signals the method's token.
        while (channel.Receive() is ({ } kind, _))
        {
            if (kind == ControlFrame.Stop)
                break;
        }

        stop.Cancel();
    }
}
