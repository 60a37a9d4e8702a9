using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Baton.Processes.Internal;

namespace Baton.Processes;

/// <summary>
/// A method of this application running in a process of its own, as Python's multiprocessing.Process:
/// start it with one of the <c>Start</c> methods, await its <see cref="Completion"/> (or
/// <see cref="ChildProcess{TResult}.Result"/>), join it, terminate or kill it. The child is this same
/// program re-executed: it runs the method instead of Main and exits, so Main needs no change.
/// </summary>
/// <remarks>
/// Guarantees: a child dies with its parent, even when the parent is killed with SIGKILL; daemon children
/// are killed when the parent exits normally, the others are waited for; the child's standard output and
/// error are the parent's; a child that ends without delivering its result fails <see cref="Completion"/>
/// with <see cref="ProcessExitedException"/>. Linux only.
/// </remarks>
public partial class ChildProcess : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, ChildProcess> Live = new();
    private static int started;
    private static int exitHookInstalled;

    private readonly ControlChannel channel;
    private readonly Task<int> exited;
    private readonly string callName;
    private CancellationTokenRegistration stopRegistration;
    private int disposed;

    private protected ChildProcess(byte[] call, string callName, ChildProcessOptions? options, CancellationToken stopToken)
    {
        options ??= Default;
        (channel, Pid, exited) = Launch(call, options);
        this.callName = callName;
        Name = options.Name ?? $"ChildProcess-{Interlocked.Increment(ref started)}";
        IsDaemon = options.Daemon;
        Outcome = ReceiveOutcomeAsync();
        Register(stopToken);
    }

    private static ChildProcessOptions Default { get; } = new();

    /// <summary>
    /// How long a parent that exits normally waits for its non-daemon children before killing them (Python
    /// waits for ever; a bound keeps a stuck child from hanging the parent's exit). Default 30 seconds.
    /// </summary>
    public static TimeSpan ExitJoinTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The child's process id.</summary>
    public int Pid { get; }

    /// <summary>The name given in <see cref="ChildProcessOptions.Name"/>, or "ChildProcess-N".</summary>
    public string Name { get; }

    /// <summary>Whether the child is killed when its parent exits normally.</summary>
    public bool IsDaemon { get; }

    /// <summary>Whether the process is still running (it has not exited yet).</summary>
    public bool IsAlive => !exited.IsCompleted;

    /// <summary>
    /// The exit status once the process has ended, else null: the exit code (0 after a result, 1 after an
    /// exception), or minus the number of the signal that killed it (-9 for SIGKILL), as Python's exitcode.
    /// </summary>
    public int? ExitCode => exited.IsCompletedSuccessfully ? exited.Result : null;

    /// <summary>
    /// Completes when the method has returned in the child; fails with the child's exception (rebuilt as its
    /// own type when this process has it, else <see cref="RemoteException"/>), or with
    /// <see cref="ProcessExitedException"/> when the child ended without delivering a result.
    /// </summary>
    public Task Completion => CompletionCore;

    /// <summary>The encoded outcome, or a <see cref="ProcessExitedException"/>.</summary>
    private protected Task<byte[]> Outcome { get; }

    /// <summary>A task that completes with the exit status when the process ends (see <see cref="ExitCode"/>).</summary>
    public Task<int> Exited => exited;

    private protected virtual Task CompletionCore => completion ??= DecodeAsync<object?>();

    private Task? completion;

    /// <summary>The outcome decoded as <typeparamref name="T"/>, or the rebuilt exception.</summary>
    private protected async Task<T> DecodeAsync<T>() => Invocation.DecodeOutcome<T>(await Outcome.ConfigureAwait(false));

    /// <summary>Waits for the process to end. Returns false when <paramref name="timeout"/> passes first.</summary>
    /// <param name="timeout">How long to wait; null waits until the process ends.</param>
    /// <param name="cancellationToken">Stops the wait (not the process).</param>
    public async Task<bool> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (exited.IsCompleted)
            return true;
        try
        {
            await exited.WaitAsync(timeout ?? Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Blocks until the process ends. Returns false when <paramref name="timeout"/> passes first.</summary>
    /// <param name="timeout">How long to wait; null waits until the process ends.</param>
    public bool Join(TimeSpan? timeout = null) => exited.Wait(timeout ?? Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Asks the method to stop: signals the CancellationToken it takes as a parameter (if any). The process
    /// goes on until the method returns.
    /// </summary>
    public void RequestStop()
    {
        if (exited.IsCompleted || Volatile.Read(ref disposed) != 0)
            return;
        _ = SendStopAsync();
    }

    /// <summary>Sends SIGTERM (Python's terminate). No effect once the process has ended.</summary>
    public void Terminate() => Signal(LibC.SIGTERM);

    /// <summary>Sends SIGKILL (Python's kill). No effect once the process has ended.</summary>
    public void Kill() => Signal(LibC.SIGKILL);

    /// <summary>Kills the process if it still runs, waits for it to end and releases its control socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        if (!exited.IsCompleted)
            Kill();
        await exited.ConfigureAwait(false);
        await stopRegistration.DisposeAsync().ConfigureAwait(false);
        await CompletionCore.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        channel.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} (pid {Pid}, {callName}, {(IsAlive ? "running" : "exit code " + ExitCode)})";

    /// <summary>The outcome frame, or null when the child ended without sending one.</summary>
    private async Task<byte[]> ReceiveOutcomeAsync()
    {
        var receive = channel.ReceiveAsync().AsTask();
        // A grandchild that somehow holds the socket must not hide the child's death: watch the exit too.
        var first = await Task.WhenAny(receive, exited).ConfigureAwait(false);
        if (first != receive)
        {
            // The child has ended: whatever it sent is already buffered, so the read finishes promptly.
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        }

        var frame = receive.IsCompletedSuccessfully ? receive.Result : null;
        if (frame is ({ } kind, { } payload) && kind == ControlFrame.Outcome)
            return payload;
        var exitCode = await exited.ConfigureAwait(false);
        throw new ProcessExitedException(callName, Pid, exitCode);
    }

    private static (ControlChannel Channel, int Pid, Task<int> Exited) Launch(byte[] call, ChildProcessOptions options)
    {
        var (channel, childFd) = ControlChannel.CreatePair();
        int pid;
        try
        {
            pid = ProcessLauncher.Spawn(childFd, options.Environment, options.WorkingDirectory);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
        finally
        {
            LibC.Close(childFd);
        }

        var exited = ChildReaper.Watch(pid);
        _ = SendCallAsync(channel, call);
        return (channel, pid, exited);
    }

    private void Register(CancellationToken stopToken)
    {
        EnsureExitHook();
        Live[Pid] = this;
        _ = exited.ContinueWith(_ => Live.TryRemove(Pid, out ChildProcess? _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        if (stopToken.CanBeCanceled)
            stopRegistration = stopToken.Register(static state => ((ChildProcess)state!).RequestStop(), this);
    }

    private static async Task SendCallAsync(ControlChannel channel, byte[] call)
    {
        try
        {
            await channel.SendAsync(ControlFrame.Call, call).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException or IOException)
        {
            // The child died before reading its call: the outcome read reports that.
        }
    }

    private async Task SendStopAsync()
    {
        try
        {
            await channel.SendAsync(ControlFrame.Stop, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException or IOException)
        {
            // The child has gone: nothing left to stop.
        }
    }

    private void Signal(int signal)
    {
        // The reaper collects the status only after the exit is seen, so the pid cannot have been reused while
        // the task is incomplete.
        if (!exited.IsCompleted)
            LibC.Kill(Pid, signal);
    }

    private static void EnsureExitHook()
    {
        if (Interlocked.Exchange(ref exitHookInstalled, 1) == 0)
            AppDomain.CurrentDomain.ProcessExit += static (_, _) => OnParentExit();
    }

    /// <summary>At normal exit: kill daemon children, wait (bounded) for the others, then kill what is left.</summary>
    private static void OnParentExit()
    {
        var children = Live.Values.ToArray();
        foreach (var child in children)
        {
            if (child.IsDaemon)
                child.Kill();
        }

        var deadline = DateTime.UtcNow + ExitJoinTimeout;
        foreach (var child in children)
        {
            var left = deadline - DateTime.UtcNow;
            if (!child.IsDaemon && !child.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                child.Kill();
        }
    }
}
