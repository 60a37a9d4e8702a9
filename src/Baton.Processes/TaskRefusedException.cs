namespace Baton.Processes;

/// <summary>
/// A remote worker refused a task because it cannot load the task's code: the app is not deployed there,
/// and the pool could not ship it (code is shipped only over CURVE, with the worker authenticating the
/// pool), or the shipped assembly failed its SHA-256 check. The message says which, and what to set.
/// </summary>
public sealed class TaskRefusedException : Exception
{
    /// <summary>A refusal, with the worker's reason.</summary>
    /// <param name="message">What was refused, by whom, and why.</param>
    public TaskRefusedException(string message)
        : base(message)
    {
    }
}
