namespace Baton.Processes;

/// <summary>When <see cref="Futures.WaitAsync{TTask}(IEnumerable{TTask}, ReturnWhen, TimeSpan?, CancellationToken)"/> returns, as concurrent.futures.wait's return_when.</summary>
public enum ReturnWhen
{
    /// <summary>As soon as any task completes (successfully, faulted or cancelled).</summary>
    FirstCompleted,

    /// <summary>As soon as any task faults (or is cancelled); when none does, when all have completed.</summary>
    FirstException,

    /// <summary>When every task has completed.</summary>
    AllCompleted,
}
