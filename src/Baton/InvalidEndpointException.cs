namespace Baton;

/// <summary>An endpoint string could not be parsed, names an unsupported transport, or cannot be resolved.</summary>
public sealed class InvalidEndpointException : BatonException
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>.</summary>
    public InvalidEndpointException(string endpoint, string reason, Exception? innerException = null)
        : base($"Invalid endpoint '{endpoint}': {reason}", innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint as the caller gave it.</summary>
    public string Endpoint { get; }
}
