namespace Baton.Processes;

/// <summary>
/// A remote worker refused a task because it cannot load the task's code (the app is not deployed
/// there). Baton never ships code to a worker: that needs authentication, and belongs with security.
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
