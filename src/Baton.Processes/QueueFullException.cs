namespace Baton.Processes;

/// <summary>
/// A queue stayed full until the timeout (Python's <c>queue.Full</c>); a <see cref="TimeoutException"/>,
/// so code that handles timeouts in general handles this one.
/// </summary>
public sealed class QueueFullException : TimeoutException
{
    /// <summary>Creates the exception with a message.</summary>
    public QueueFullException(string message)
        : base(message)
    {
    }
}
