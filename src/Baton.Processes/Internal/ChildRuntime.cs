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
        var parent = Environment.GetEnvironmentVariable(ProcessLauncher.ParentVariable);
        RestoreEnvironment();
        if (!int.TryParse(descriptor, NumberStyles.None, CultureInfo.InvariantCulture, out var fd)
            || !int.TryParse(parent, NumberStyles.None, CultureInfo.InvariantCulture, out var parentPid))
        {
            Console.Error.WriteLine($"Baton: {ProcessLauncher.ChildVariable}={descriptor} and {ProcessLauncher.ParentVariable}={parent} do not describe a child process.");
            Environment.Exit(ExitAfterException);
            return;
        }

        ParentWatch.Start(parentPid);
        // Our control socket must not leak into processes the method starts: their holding it would hide our death.
        LibC.Fcntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC);
        int exitCode;
        try
        {
            exitCode = RunAsync(fd).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Baton: the child process failed: {e}");
            exitCode = ExitAfterException;
        }

        Environment.Exit(exitCode);
    }

    private static async Task<int> RunAsync(int fd)
    {
        using var channel = ControlChannel.FromDescriptor(fd);
        var first = await channel.ReceiveAsync().ConfigureAwait(false);
        if (first is not ({ } kind, { } call) || kind != ControlFrame.Call)
            return ExitAfterException; // the parent went away before sending the call

        using var stop = new CancellationTokenSource();
        _ = WatchForStopAsync(channel, stop);
        byte[] outcome;
        try
        {
            outcome = await Invocation.ExecuteAsync(call, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            outcome = Invocation.EncodeException(e);
        }

        await channel.SendAsync(ControlFrame.Outcome, outcome).ConfigureAwait(false);
        return Invocation.IsException(outcome) ? ExitAfterException : 0;
    }

    private static async Task WatchForStopAsync(ControlChannel channel, CancellationTokenSource stop)
    {
        try
        {
            while (await channel.ReceiveAsync().ConfigureAwait(false) is ({ } kind, _))
            {
                if (kind == ControlFrame.Stop)
                    await stop.CancelAsync().ConfigureAwait(false);
            }

            // End of stream: the parent no longer listens; ask the method to stop.
            await stop.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidDataException or IOException)
        {
            // The channel closed as the process ends.
        }
    }

    private static void RestoreEnvironment()
    {
        Environment.SetEnvironmentVariable(ProcessLauncher.ParentVariable, null);
        var original = Environment.GetEnvironmentVariable(ProcessLauncher.OriginalHooksVariable);
        Environment.SetEnvironmentVariable(ProcessLauncher.StartupHooksVariable, string.IsNullOrEmpty(original) ? null : original);
        Environment.SetEnvironmentVariable(ProcessLauncher.OriginalHooksVariable, null);
    }
}
