namespace Baton;

/// <summary>A bind failed because the address is already taken.</summary>
public sealed class EndpointInUseException : BatonException
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>.</summary>
    public EndpointInUseException(string endpoint, Exception? innerException = null)
        : base($"Endpoint '{endpoint}' is already in use.", innerException)
    {
        Endpoint = endpoint;
    }

    /// <summary>The endpoint as the caller gave it.</summary>
    public string Endpoint { get; }
}
