using System.Runtime.InteropServices;

namespace Baton.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM: the first cancels the command's token, so it closes its socket (an
/// ipc file goes) and ends; a command that has not ended within <see cref="Grace"/> is abandoned,
/// and a second signal ends the process at once. Either way the exit code is 128 plus the signal
/// number, as shells report a process a signal ended: 130 for SIGINT, 143 for SIGTERM.
/// </summary>
internal sealed class Interruption : IDisposable
{
    /// <summary>How long a command may take to close after the first signal.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _signalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _exitCode;

    public Interruption()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Waits for the command; returns its exit code, or the signal's if a signal came.</summary>
    public async Task<int> WaitAsync(Task<int> command)
    {
        var finished = await Task.WhenAny(command, _signalled.Task.ContinueWith(_ => Task.Delay(Grace), TaskScheduler.Default).Unwrap());
        if (finished == command && Volatile.Read(ref _exitCode) == 0)
        {
            return await command;
        }

        if (finished == command)
        {
            // Interrupted: the command saw the cancellation and closed; what it returned says less than the signal.
            await ((Task)command).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return Volatile.Read(ref _exitCode);
    }

    private void OnSignal(PosixSignalContext context)
    {
        var code = 128 + (context.Signal == PosixSignal.SIGINT ? 2 : 15);
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
        {
            // The second signal: the user insists, so the default handling ends the process now.
            Environment.Exit(code);
            return;
        }

        context.Cancel = true;
        _stop.Cancel();
        _signalled.TrySetResult();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stop.Dispose();
    }
}
