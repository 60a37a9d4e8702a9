namespace Baton.Processes;

/// <summary>
/// The queue was closed: a put after <c>Close()</c>, or a get once a closed queue is drained (the
/// end-of-stream signal, like a completed channel). Pipes say the same with Python's errors instead:
/// <see cref="EndOfStreamException"/> when receiving, <see cref="IOException"/> when sending.
/// </summary>
public sealed class QueueClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    public QueueClosedException(string message)
        : base(message)
    {
    }
}
