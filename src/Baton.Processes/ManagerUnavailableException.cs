namespace Baton.Processes;

/// <summary>
/// A manager could not be reached, or went away while a request was pending: its process ended, the
/// connection dropped, or it could not be reached within <see cref="ManagerOptions.ConnectTimeout"/>.
/// A request pending when the connection dropped may or may not have been applied.
/// </summary>
public class ManagerUnavailableException : Exception
{
    /// <summary>Creates the exception with a message that says what was lost.</summary>
    public ManagerUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The manager's endpoint.</summary>
    public string? Endpoint { get; init; }
}
