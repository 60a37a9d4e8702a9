namespace Baton.Processes;

/// <summary>
/// An exception thrown in another process whose type this process cannot rebuild (the type is unknown here,
/// or has no constructor taking a message). It carries the remote type's name, message and stack trace.
/// </summary>
public class RemoteException : Exception
{
    /// <summary>Creates a remote exception with a generic message.</summary>
    public RemoteException()
        : this("System.Exception", "An exception was thrown in another process.", null, null)
    {
    }

    /// <summary>Creates a remote exception with a message.</summary>
    /// <param name="message">The remote exception's message.</param>
    public RemoteException(string message)
        : this("System.Exception", message, null, null)
    {
    }

    /// <summary>Creates a remote exception with a message and an inner exception.</summary>
    /// <param name="message">The remote exception's message.</param>
    /// <param name="innerException">The remote exception's inner exception.</param>
    public RemoteException(string message, Exception? innerException)
        : this("System.Exception", message, null, innerException)
    {
    }

    /// <summary>Creates a remote exception from what the other process reported.</summary>
    /// <param name="remoteTypeName">The full name of the exception's type in the other process.</param>
    /// <param name="message">The exception's message.</param>
    /// <param name="remoteStackTrace">The stack trace in the other process, if known.</param>
    /// <param name="innerException">The remote inner exception, rebuilt.</param>
    public RemoteException(string remoteTypeName, string message, string? remoteStackTrace, Exception? innerException)
        : base($"{remoteTypeName}: {message}", innerException)
    {
        RemoteTypeName = remoteTypeName;
        RemoteMessage = message;
        RemoteStackTrace = remoteStackTrace;
    }

    /// <summary>The full name of the exception's type in the process that threw it.</summary>
    public string RemoteTypeName { get; }

    /// <summary>The exception's own message, without the type name.</summary>
    public string RemoteMessage { get; }

    /// <summary>The stack trace in the process that threw it (also part of <see cref="Exception.StackTrace"/>).</summary>
    public string? RemoteStackTrace { get; }
}
