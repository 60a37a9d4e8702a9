using Baton.Processes.Internal;

namespace Baton.Processes;

public sealed partial class ProcessPool
{
    /// <summary>Runs <paramref name="method"/> in a worker.</summary>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <returns>The result; or the task's exception (the original type when it exists here, else <see cref="RemoteException"/>), <see cref="WorkerCrashedException"/>, <see cref="TimeoutException"/>.</returns>
    public Task<TResult> Submit<TResult>(Func<TResult> method) => SubmitCore<TResult>(PoolTaskOptions.Default, method, []);

    /// <summary>Runs <paramref name="method"/>(<paramref name="argument"/>) in a worker.</summary>
    /// <typeparam name="T">The argument's type.</typeparam>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="argument">The argument, serialized before anything is sent.</param>
    public Task<TResult> Submit<T, TResult>(Func<T, TResult> method, T argument) => SubmitCore<TResult>(PoolTaskOptions.Default, method, [argument]);

    /// <summary>Runs <paramref name="method"/>(<paramref name="argument1"/>, <paramref name="argument2"/>) in a worker.</summary>
    /// <typeparam name="T1">The first argument's type.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="argument1">The first argument.</param>
    /// <param name="argument2">The second argument.</param>
    public Task<TResult> Submit<T1, T2, TResult>(Func<T1, T2, TResult> method, T1 argument1, T2 argument2) => SubmitCore<TResult>(PoolTaskOptions.Default, method, [argument1, argument2]);

    /// <summary>Runs an async <paramref name="method"/> in a worker; the worker awaits it.</summary>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    public Task<TResult> Submit<TResult>(Func<Task<TResult>> method) => SubmitCore<TResult>(PoolTaskOptions.Default, method, []);

    /// <summary>Runs an async <paramref name="method"/>(<paramref name="argument"/>) in a worker; the worker awaits it.</summary>
    /// <typeparam name="T">The argument's type.</typeparam>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="argument">The argument, serialized before anything is sent.</param>
    public Task<TResult> Submit<T, TResult>(Func<T, Task<TResult>> method, T argument) => SubmitCore<TResult>(PoolTaskOptions.Default, method, [argument]);

    /// <summary>Runs an async <paramref name="method"/>(<paramref name="argument1"/>, <paramref name="argument2"/>) in a worker; the worker awaits it.</summary>
    /// <typeparam name="T1">The first argument's type.</typeparam>
    /// <typeparam name="T2">The second argument's type.</typeparam>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="method">A static method, or a lambda that captures nothing.</param>
    /// <param name="argument1">The first argument.</param>
    /// <param name="argument2">The second argument.</param>
    public Task<TResult> Submit<T1, T2, TResult>(Func<T1, T2, Task<TResult>> method, T1 argument1, T2 argument2) => SubmitCore<TResult>(PoolTaskOptions.Default, method, [argument1, argument2]);

    /// <summary>Runs <paramref name="method"/> with <paramref name="arguments"/> in a worker, with per-task options (timeout, idempotent, cancellation).</summary>
    /// <typeparam name="TResult">The method's result.</typeparam>
    /// <param name="options">How this task runs.</param>
    /// <param name="method">A static method, or a lambda that captures nothing; an async one (Task or ValueTask) is awaited in the worker, and <typeparamref name="TResult"/> is then its result. A CancellationToken parameter (pass any token for it) is signalled when the task is cancelled or times out.</param>
    /// <param name="arguments">The arguments, serialized before anything is sent.</param>
    /// <exception cref="ArgumentException">The method captures state, or an argument cannot be serialized (the message names the type).</exception>
    /// <exception cref="InvalidOperationException">The pool is shutting down.</exception>
    public Task<TResult> Submit<TResult>(PoolTaskOptions options, Delegate method, params object?[] arguments)
    {
        ArgumentNullException.ThrowIfNull(options);
        return SubmitCore<TResult>(options, method, arguments);
    }

    private Task<TResult> SubmitCore<TResult>(PoolTaskOptions options, Delegate method, ReadOnlySpan<object?> arguments)
    {
        ArgumentNullException.ThrowIfNull(method);
        ThrowIfShutDown();
        var call = Invocation.EncodeCall(method, arguments);
        Invocation.ValidateResultType(method);
        if (options.CancellationToken.IsCancellationRequested)
            return Task.FromCanceled<TResult>(options.CancellationToken);
        var info = method.Method;
        var task = new PoolTask(_dispatcher.NextTaskId(), name: null, info.Module.Assembly.FullName!, call, options.Timeout, options.Idempotent, options.CancellationToken);
        _dispatcher.Enqueue(task);
        return ResultAsync<TResult>(task);
    }

    private static async Task<TResult> ResultAsync<TResult>(PoolTask task)
    {
        var outcome = await task.Completion.Task.ConfigureAwait(false);
        return Invocation.DecodeOutcome<TResult>(outcome);
    }
}
