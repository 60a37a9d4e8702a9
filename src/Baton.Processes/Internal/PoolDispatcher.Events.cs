using Baton.Messages;

namespace Baton.Processes.Internal;

/// <summary>The dispatcher's event handlers: all run on its loop.</summary>
internal sealed partial class PoolDispatcher
{
    private const int StartFailuresBeforeBreaking = 3;

    private void OnMessage(string identity, bool remote, Frame header, Frame extra1, Frame extra2)
    {
        var span = header.Span;
        _workers.TryGetValue(identity, out var worker);
        if (worker is not null && worker.IsRemote != remote)
            return; // an identity of the other socket's workers: not this peer's to speak for
        if (worker is { IsRemote: true })
            worker.LastHeard = Now;

        switch (PoolProtocol.KindOf(span))
        {
            case PoolProtocol.Ready:
                PoolProtocol.TryReadInt32(span, 1, out var pid);
                PoolProtocol.TryReadInt32(span, 5, out var initialized);
                OnReady(identity, remote, worker, pid, initialized != 0, PoolProtocol.Text(extra1.Span), PoolProtocol.Text(extra2.Span));
                break;
            case PoolProtocol.Done:
                if (worker is not null && PoolProtocol.TryReadInt64(span, 1, out var taskId) && PoolProtocol.TryReadInt64(span, 9, out var workingSet))
                    OnDone(worker, taskId, workingSet, extra1.Memory);
                break;
            case PoolProtocol.Refused:
                if (worker is not null && PoolProtocol.TryReadInt64(span, 1, out var refusedId))
                    OnRefused(worker, refusedId, PoolProtocol.Text(extra1.Span));
                break;
            case PoolProtocol.InitializerFailed:
                OnInitializerFailed(worker, extra1.Memory);
                break;
            case PoolProtocol.Exited:
                // A supervisor (baton worker) reports one of its workers' exit: faster and more precise than silence.
                if (remote && PoolProtocol.TryReadInt32(span, 5, out var exitCode)
                    && _workers.TryGetValue(PoolProtocol.Text(extra1.Span), out var dead) && dead.IsRemote)
                    WorkerGone(dead, exitCode, null);
                break;
            case PoolProtocol.Fetch:
                if (worker is { IsRemote: true, IsGone: false } && PoolProtocol.TryReadInt64(span, 1, out var requestId))
                    Ship(worker, requestId, PoolProtocol.Text(extra1.Span));
                break;
            default:
                break; // Heartbeat, or something this version does not know: liveness is all it gives.
        }
    }

    private void OnReady(string identity, bool remote, WorkerState? worker, int pid, bool initialized, string tag, string host)
    {
        if (worker is null)
        {
            if (tag.Length > 0 || !remote)
                return; // a local worker of a slot already given up on
            worker = new WorkerState(identity, remote: true) { LastHeard = Now };
            _workers.Add(identity, worker);
        }

        worker.Pid = pid;
        worker.Host = host;
        if (!initialized && _initializerCall is not null)
        {
            // A remote worker runs the pool's initializer before its first task, as a local one does at start.
            Send(worker, PoolProtocol.Header(PoolProtocol.Initialize), new Frame(_initializerCall), Frame.Empty, withExtras: true);
            return;
        }

        if (!worker.IsReady)
        {
            worker.IsReady = true;
            _startFailures = 0;
        }

        if (_closing || worker.IsRetiring)
        {
            Send(worker, PoolProtocol.Header(PoolProtocol.Stop));
            return;
        }

        MakeIdle(worker);
        Dispatch();
        ReleaseWorkerWaiters();
    }

    /// <summary>Completes when <paramref name="count"/> workers have said READY (thread-safe).</summary>
    public Task WaitForWorkersAsync(int count, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var posted = Post(() =>
        {
            _workerWaiters.Add((count, waiter));
            ReleaseWorkerWaiters();
        });
        if (!posted)
            waiter.TrySetException(new InvalidOperationException("The pool has shut down."));
        return waiter.Task.WaitAsync(cancellationToken);
    }

    private void ReleaseWorkerWaiters()
    {
        var ready = 0;
        foreach (var worker in _workers.Values)
        {
            if (worker.IsReady && !worker.IsGone && !worker.IsRetiring)
                ready++;
        }

        for (var i = _workerWaiters.Count - 1; i >= 0; i--)
        {
            var (count, waiter) = _workerWaiters[i];
            if (ready >= count)
            {
                waiter.TrySetResult();
                _workerWaiters.RemoveAt(i);
            }
            else if (_broken is { } broken)
            {
                waiter.TrySetException(broken);
                _workerWaiters.RemoveAt(i);
            }
            else if (_closing)
            {
                waiter.TrySetException(new InvalidOperationException("The pool has shut down."));
                _workerWaiters.RemoveAt(i);
            }
        }
    }

    private void OnDone(WorkerState worker, long taskId, long workingSet, ReadOnlyMemory<byte> outcome)
    {
        if (worker.Task is not { } task || task.Id != taskId)
            return; // a task already finished (given up on after its grace period)

        worker.Task = null;
        _runningTasks--;
        worker.TasksDone++;
        switch (task.Stopping)
        {
            case StopReason.None:
                Complete(task, outcome);
                break;
            case StopReason.TimedOut:
                Fail(task, TimedOut(task));
                break;
            default:
                Cancel(task);
                break;
        }

        var recycle = (_options.MaxTasksPerWorker > 0 && worker.TasksDone >= _options.MaxTasksPerWorker)
            || (_options.MaxWorkerMemory > 0 && workingSet > _options.MaxWorkerMemory);
        if (recycle)
            Retire(worker);
        else
            MakeIdle(worker);

        EnsureLocalWorkers();
        Dispatch();
        CloseIfDrained();
    }

    private void OnRefused(WorkerState worker, long taskId, string reason)
    {
        if (worker.Task is not { } task || task.Id != taskId)
            return;
        worker.Task = null;
        _runningTasks--;
        Fail(task, new TaskRefusedException($"{Capitalised(task.Describe())} was refused by worker {worker.Pid}{HostOf(worker)}: {reason}"));
        MakeIdle(worker);
        Dispatch();
        CloseIfDrained();
    }

    private void OnInitializerFailed(WorkerState? worker, ReadOnlyMemory<byte> outcome)
    {
        Exception cause;
        try
        {
            cause = Invocation.DecodeException(outcome) ?? new InvalidOperationException("The initializer reported a failure without an exception.");
        }
        catch (Exception e) when (e is InvalidDataException or MessagePack.MessagePackSerializationException)
        {
            cause = e;
        }

        Break(new InvalidOperationException($"The pool's initializer failed in worker {worker?.Pid}: {cause.Message}", cause));
    }

    private void OnTick()
    {
        var now = Now;
        List<WorkerState>? lost = null;
        List<PoolTask>? timedOut = null;
        foreach (var worker in _workers.Values)
        {
            if (worker.Task is { } task)
            {
                if (task.Stopping == StopReason.None && task.Deadline != 0 && now > task.Deadline)
                    (timedOut ??= []).Add(task);
                else if (task.Stopping != StopReason.None && now > task.GraceDeadline)
                    (lost ??= []).Add(worker);
            }
            else if (worker.IsRetiring && worker.RetireDeadline != 0 && now > worker.RetireDeadline && !worker.IsKilled)
            {
                (lost ??= []).Add(worker);
            }

            if (worker.IsRemote && now - worker.LastHeard > Ticks(_options.HeartbeatTimeout))
                (lost ??= []).Add(worker);
        }

        // Outside the loop over workers: stopping a task can kill and replace its worker.
        if (timedOut is not null)
        {
            foreach (var task in timedOut)
                StopTask(task, StopReason.TimedOut);
        }

        if (lost is not null)
        {
            foreach (var worker in lost)
            {
                if (worker.IsGone)
                    continue;
                if (worker.IsRemote && now - worker.LastHeard > Ticks(_options.HeartbeatTimeout))
                    WorkerGone(worker, null, $"sent nothing for {_options.HeartbeatTimeout.TotalSeconds:0.#} s (heartbeat timeout)");
                else
                    GiveUpOn(worker);
            }
        }

        if (now - _lastHeartbeatSent > Ticks(_options.HeartbeatInterval))
        {
            _lastHeartbeatSent = now;
            foreach (var worker in _workers.Values)
            {
                if (worker.IsRemote)
                    Send(worker, PoolProtocol.Header(PoolProtocol.Heartbeat));
            }
        }
    }

    /// <summary>Asks a task to stop: a pending one ends now; a running one is signalled, and its worker killed after the grace period.</summary>
    internal void StopTask(PoolTask task, StopReason reason)
    {
        switch (task.State)
        {
            case PoolTaskState.Pending:
                _pending.Remove(task);
                Cancel(task);
                CloseIfDrained();
                return;
            case PoolTaskState.Running when task.Stopping == StopReason.None && task.Worker is { } worker:
                task.Stopping = reason;
                task.GraceDeadline = After(_options.CancellationGracePeriod);
                Send(worker, PoolProtocol.Header(PoolProtocol.Cancel, task.Id));
                if (_options.CancellationGracePeriod == TimeSpan.Zero)
                    GiveUpOn(worker);
                return;
            default:
                return;
        }
    }

    /// <summary>The worker's task did not stop in time, or a retiring worker did not exit: end the task as it was asked to end, and kill the worker.</summary>
    private void GiveUpOn(WorkerState worker)
    {
        if (worker.Task is { } task)
        {
            worker.Task = null;
            _runningTasks--;
            if (task.Stopping == StopReason.TimedOut)
                Fail(task, TimedOut(task));
            else
                Cancel(task);
        }

        worker.IsKilled = true;
        worker.IsRetiring = true;
        if (worker.IsRemote)
        {
            Send(worker, PoolProtocol.Header(PoolProtocol.Kill));
            WorkerGone(worker, null, "killed");
        }
        else
        {
            KillProcess(worker);
            EnsureLocalWorkers(); // the replacement starts now; the exit of the old one is only bookkeeping
        }

        Dispatch();
        CloseIfDrained();
    }

    private static void KillProcess(WorkerState worker)
    {
        try
        {
            worker.Process?.Kill();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>A worker's process exited, or a remote worker was lost: charge its task, replace it.</summary>
    private void WorkerGone(WorkerState worker, int? exitCode, string? how)
    {
        if (worker.IsGone)
            return;
        worker.IsGone = true;
        _workers.Remove(worker.Identity);
        if (!worker.IsReady && !worker.IsKilled && !worker.IsRetiring && !worker.IsRemote)
            _startFailures++;

        if (worker.Task is { } task)
        {
            worker.Task = null;
            _runningTasks--;
            ChargeCrash(task, worker, exitCode, how);
        }

        if (!worker.IsRemote && _startFailures >= StartFailuresBeforeBreaking && _broken is null && !_closing)
        {
            Break(new InvalidOperationException(
                $"The pool's workers fail to start: {_startFailures} exited before taking work, the last {ExitText(exitCode, how)}. Check the worker environment and the app's startup."));
        }

        EnsureLocalWorkers();
        Dispatch();
        CloseIfDrained();
        FinishIfClosed();
    }

    private void ChargeCrash(PoolTask task, WorkerState worker, int? exitCode, string? how)
    {
        if (task.Stopping != StopReason.None)
        {
            // It died while being asked to stop: it stopped.
            if (task.Stopping == StopReason.TimedOut)
                Fail(task, TimedOut(task));
            else
                Cancel(task);
            return;
        }

        task.Crashes++;
        var attempts = task.Attempts;
        if (task.Idempotent && task.Crashes >= _options.PoisonThreshold && attempts <= _options.Retries)
        {
            Fail(task, new PoisonTaskException(task.Id, task.Name, worker.Pid, exitCode, task.Crashes, HostOf(worker), how));
            return;
        }

        if (task.Idempotent && attempts <= _options.Retries && !_closing)
        {
            task.State = PoolTaskState.Pending;
            task.Worker = null;
            task.Deadline = 0;
            _pending.AddFirst(task);
            return;
        }

        Fail(task, new WorkerCrashedException(task.Id, task.Name, worker.Pid, exitCode, attempts, HostOf(worker), how));
    }

    private void Dispatch()
    {
        var spares = _options.LocalWorkerCount > 0 ? _options.SpareWorkers : 0;
        var tries = _idle.Count;
        while (_pending.First is { } node && tries-- > 0)
        {
            var worker = _idle.Dequeue();
            worker.IsIdle = false;
            if (worker.IsGone || worker.IsRetiring || worker.Task is not null)
                continue;
            if (spares > 0 && !worker.IsRemote && BusyLocalWorkers() >= _options.LocalWorkerCount)
            {
                // A spare: it waits, warm, for a worker to go.
                worker.IsIdle = true;
                _idle.Enqueue(worker);
                continue;
            }

            var task = node.Value;
            _pending.RemoveFirst();
            task.State = PoolTaskState.Running;
            task.Worker = worker;
            task.Attempts++;
            var timeout = task.Timeout ?? _options.TaskTimeout;
            task.Deadline = timeout is { } t && t != Timeout.InfiniteTimeSpan ? After(t) : 0;
            worker.Task = task;
            _runningTasks++;
            Send(worker, PoolProtocol.Header(PoolProtocol.Task, task.Id, _options.MaxWorkerMemory > 0 ? 1L : 0L), AssemblyNameFrame(task.AssemblyName), new Frame(task.Call), withExtras: true);
        }
    }

    /// <summary>
    /// The UTF-8 frame of an assembly's name, encoded once per assembly rather than once per task sent: the
    /// names are few (the app's assemblies) and long (full names). Only the loop calls this, so no lock.
    /// </summary>
    private Frame AssemblyNameFrame(string assemblyName)
    {
        if (!_assemblyNameFrames.TryGetValue(assemblyName, out var frame))
        {
            frame = PoolProtocol.Text(assemblyName);
            _assemblyNameFrames.Add(assemblyName, frame);
        }

        return frame;
    }

    private int BusyLocalWorkers()
    {
        var busy = 0;
        foreach (var worker in _workers.Values)
        {
            if (!worker.IsRemote && worker.Task is not null)
                busy++;
        }

        return busy;
    }

    private void MakeIdle(WorkerState worker)
    {
        if (worker.IsIdle || worker.IsRetiring || worker.IsGone || !worker.IsReady || worker.Task is not null)
            return;
        worker.IsIdle = true;
        _idle.Enqueue(worker);
    }

    private void Retire(WorkerState worker)
    {
        worker.IsRetiring = true;
        worker.RetireDeadline = After(_options.CancellationGracePeriod + TimeSpan.FromSeconds(5));
        Send(worker, PoolProtocol.Header(PoolProtocol.Stop));
        if (worker.IsRemote)
            WorkerGone(worker, null, "recycled");
    }

    /// <summary>Keeps the local worker count up: one call after any change is enough.</summary>
    private void EnsureLocalWorkers()
    {
        if (_closing || _broken is not null || _localEndpoint is null)
            return;
        var active = 0;
        foreach (var worker in _workers.Values)
        {
            if (!worker.IsRemote && !worker.IsRetiring && !worker.IsGone)
                active++;
        }

        for (; active < _options.LocalWorkerCount + _options.SpareWorkers; active++)
            StartLocalWorker();
    }

    private void StartLocalWorker()
    {
        var identity = $"w{++_nextSlot}.{Environment.ProcessId}";
        var worker = new WorkerState(identity, remote: false);
        _workers.Add(identity, worker);
        var endpoint = _localEndpoint!;
        _ = Task.Run(async () =>
        {
            ChildProcess child;
            try
            {
                child = LocalWorker.Start(endpoint, identity, _initializerCall, _options);
            }
            catch (Exception e)
            {
                Post(() => WorkerGone(worker, null, $"could not start ({e.GetType().Name}: {e.Message})"));
                return;
            }

            Post(() =>
            {
                worker.Process = child;
                worker.Pid = child.Pid;
                if (worker.IsKilled)
                    KillProcess(worker);
            });
            await child.JoinAsync().ConfigureAwait(false);
            var exitCode = child.ExitCode;
            Post(() => WorkerGone(worker, exitCode, null));
            await child.DisposeAsync().ConfigureAwait(false); // its control socket, once the pool knows
        });
    }

    /// <summary>The pool cannot go on (its workers cannot start, its initializer fails): every waiting task fails with <paramref name="reason"/>.</summary>
    private void Break(Exception reason)
    {
        if (_broken is not null)
            return;
        _broken = reason;
        ReleaseWorkerWaiters();
        while (_pending.First is { } node)
        {
            _pending.RemoveFirst();
            Fail(node.Value, reason);
        }

        foreach (var worker in new List<WorkerState>(_workers.Values))
        {
            if (worker.Task is { } task)
                StopTask(task, StopReason.Shutdown);
        }
    }

    private void CloseIfDrained()
    {
        if (!_shuttingDown || _closing || _pending.Count > 0 || _runningTasks > 0)
            return;
        _closing = true;
        ReleaseWorkerWaiters();
        var workers = new List<WorkerState>(_workers.Values);
        foreach (var worker in workers)
        {
            worker.IsRetiring = true;
            worker.RetireDeadline = After(_options.CancellationGracePeriod);
            Send(worker, PoolProtocol.Header(PoolProtocol.Stop));
            if (worker.IsRemote)
                WorkerGone(worker, null, "pool shut down");
        }

        FinishIfClosed();
    }

    private void FinishIfClosed()
    {
        if (!_closing || _workers.Count > 0 || _stopped.Task.IsCompleted)
            return;
        _lifetime.Cancel();
        _events.Writer.TryComplete();
        _ = Task.Run(async () =>
        {
            try
            {
                await _router.DisposeAsync().ConfigureAwait(false);
                if (_remote is not null)
                    await _remote.DisposeAsync().ConfigureAwait(false);
                await _receiver.ConfigureAwait(false);
                await _remoteReceiver.ConfigureAwait(false);
                if (_authenticator is not null)
                    await _authenticator.DisposeAsync().ConfigureAwait(false);
                if (_context is not null)
                    await _context.DisposeAsync().ConfigureAwait(false);
                await _ticker.ConfigureAwait(false);
            }
            finally
            {
                DeleteTempFolder();
                _lifetime.Dispose();
                _stopped.TrySetResult();
            }
        });
    }

    private static void Complete(PoolTask task, ReadOnlyMemory<byte> outcome)
    {
        task.State = PoolTaskState.Finished;
        task.Registration.Dispose();
        task.Completion.TrySetResult(outcome);
    }

    private static void Fail(PoolTask task, Exception exception)
    {
        task.State = PoolTaskState.Finished;
        task.Registration.Dispose();
        task.Completion.TrySetException(exception);
    }

    private static void Cancel(PoolTask task)
    {
        task.State = PoolTaskState.Finished;
        task.Registration.Dispose();
        if (task.CancellationToken.IsCancellationRequested)
            task.Completion.TrySetCanceled(task.CancellationToken);
        else
            task.Completion.TrySetCanceled();
    }

    private TimeoutException TimedOut(PoolTask task)
    {
        var limit = task.Timeout ?? _options.TaskTimeout;
        return new TimeoutException($"{Capitalised(task.Describe())} did not finish within its timeout of {limit}.");
    }

    private static string Capitalised(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    private static string HostOf(WorkerState worker) => worker.IsRemote && worker.Host.Length > 0 ? $" on {worker.Host}" : "";

    private static string ExitText(int? exitCode, string? how) => how ?? exitCode switch
    {
        null => "exited",
        < 0 => $"was killed by signal {-exitCode}",
        _ => $"exited with code {exitCode}",
    };

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
}
