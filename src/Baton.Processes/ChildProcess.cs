using System.Collections.Concurrent;
using System.Runtime.InteropServices;
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
    private static bool terminating;
    private static PosixSignalRegistration? terminationSignal;

    private readonly ControlChannel channel;
    private readonly Task<int> exited;
    private readonly string callName;
    private CancellationTokenRegistration stopRegistration;
    private int disposed;

    private protected ChildProcess(byte[] call, string callName, ChildProcessOptions? options, CancellationToken stopToken)
    {
        options ??= DefaultOptions;
        (channel, Pid, exited) = Launch(call, options);
        this.callName = callName;
        Name = options.Name ?? $"ChildProcess-{Interlocked.Increment(ref started)}";
        IsDaemon = options.Daemon;
        Outcome = ReceiveOutcomeAsync();
        Register(stopToken);
    }

    private static ChildProcessOptions DefaultOptions { get; } = new();

    /// <summary>
    /// How long a parent that exits normally waits for its non-daemon children before killing them (Python
    /// waits for ever; a bound keeps a stuck child from hanging the parent's exit). Default 30 seconds.
    /// </summary>
    public static TimeSpan ExitJoinTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="DisposeAsync"/> lets a child that has delivered its outcome exit on its own before killing it. Default 5 seconds.</summary>
    public static TimeSpan DisposeGrace { get; set; } = TimeSpan.FromSeconds(5);

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

    /// <summary>
    /// Waits for the process to end and releases its control socket. A child that has delivered its outcome
    /// is given <see cref="DisposeGrace"/> to exit on its own (it may be waiting for its own children); one
    /// still running its method, or slower than that, is killed.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        if (!exited.IsCompleted && Outcome.IsCompleted)
            await Task.WhenAny(exited, Task.Delay(DisposeGrace)).ConfigureAwait(false);
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
        // A spare was started with the environment and working directory of its time: only for default options.
        var process = (options.Environment is null && options.WorkingDirectory is null ? TakeSpare() : null) ?? SpawnIdle(options);
        _ = SendCallAsync(process.Channel, call);
        if (KeepSpare)
            ReplenishSpare();
        return process;
    }

    /// <summary>Starts a child that waits for its call.</summary>
    private static (ControlChannel Channel, int Pid, Task<int> Exited) SpawnIdle(ChildProcessOptions options)
    {
        var (channel, childFd) = ControlChannel.CreatePair();
        int pid;
        try
        {
            var descriptor = ProcessLauncher.InheritedDescriptor(childFd).ToString(System.Globalization.CultureInfo.InvariantCulture);
            pid = ProcessLauncher.Spawn(ProcessLauncher.ChildVariable, descriptor, childFd, options.Environment, options.WorkingDirectory);
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

        EnsureExitHook();
        return (channel, pid, ChildReaper.Watch(pid));
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
        if (Interlocked.Exchange(ref exitHookInstalled, 1) != 0)
            return;
        AppDomain.CurrentDomain.ProcessExit += static (_, _) => OnParentExit();
        // Not cancelled: the runtime's own SIGTERM handling goes on (ProcessExit, then death by the signal).
        terminationSignal = PosixSignalRegistration.Create(PosixSignal.SIGTERM, static _ => Volatile.Write(ref terminating, true));
    }

    /// <summary>
    /// At exit: kill daemon children; wait (up to <see cref="ExitJoinTimeout"/>) for the others, then kill
    /// what is left. When this process exits because of SIGTERM, the non-daemon children get SIGTERM first,
    /// so termination cascades instead of waiting for work that will not be collected.
    /// </summary>
    private static void OnParentExit()
    {
        KeepSpare = false; // and kills the spare, if any
        var children = Live.Values.ToArray();
        var terminated = Volatile.Read(ref terminating);
        foreach (var child in children)
        {
            if (child.IsDaemon)
                child.Kill();
            else if (terminated)
                child.Terminate();
        }

        var deadline = DateTime.UtcNow + ExitJoinTimeout;
        foreach (var child in children)
        {
            var left = deadline - DateTime.UtcNow;
            if (!child.IsDaemon && !child.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                child.Kill();
        }

        GC.KeepAlive(terminationSignal);
    }
}
