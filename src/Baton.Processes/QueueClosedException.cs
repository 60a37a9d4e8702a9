namespace Baton.Processes;

/// <summary>
/// The queue was closed: a put after <c>Close()</c>, or a get once a closed queue is drained (the
/// end-of-stream signal, like a completed channel), or a pipe whose other end is closed or dead.
/// </summary>
public sealed class QueueClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    public QueueClosedException(string message)
        : base(message)
    {
    }
}
