namespace Baton.Processes;

/// <summary>
/// A queue stayed empty until the timeout (Python's <c>queue.Empty</c>); a <see cref="TimeoutException"/>,
/// so code that handles timeouts in general handles this one.
/// </summary>
public sealed class QueueEmptyException : TimeoutException
{
    /// <summary>Creates the exception with a message.</summary>
    public QueueEmptyException(string message)
        : base(message)
    {
    }
}
