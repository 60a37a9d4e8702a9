namespace Baton.Processes;

/// <summary>A <see cref="ChildProcess"/> running a method that returns a <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The method's result type (Task and ValueTask unwrapped).</typeparam>
public sealed class ChildProcess<TResult> : ChildProcess
{
    internal ChildProcess(byte[] call, string callName, ChildProcessOptions? options, CancellationToken stopToken)
        : base(call, callName, options, stopToken)
    {
        Result = DecodeAsync<TResult>();
    }

    /// <summary>
    /// The method's result; fails with the child's exception (rebuilt as its own type when this process has
    /// it, else <see cref="RemoteException"/>) or with <see cref="ProcessExitedException"/> when the child
    /// ended without delivering a result.
    /// </summary>
    public Task<TResult> Result { get; }

    private protected override Task CompletionCore => Result;
}
