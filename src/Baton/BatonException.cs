namespace Baton;

/// <summary>The base of the errors Baton raises for ZeroMQ-specific conditions.</summary>
public class BatonException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public BatonException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public BatonException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
