namespace Baton.Processes.Internal.Queues;

/// <summary>
/// Async forms of the ring's waits. Shared memory has no descriptor to await: a wait that must sleep
/// sleeps on the futex in a thread of its own (not the pool's, which it would starve); the token wakes it.
/// </summary>
internal static class AsyncWaits
{
    public static Task Run(Action wait, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(wait, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    public static Task<T> Run<T>(Func<T> wait, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(wait, cancellationToken, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
