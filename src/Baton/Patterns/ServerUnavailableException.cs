namespace Baton.Patterns;

/// <summary>
/// A reliable request-reply client (<see cref="LazyPirateClient"/>) got no reply from its server after
/// every attempt: the server is down, unreachable, or too slow for the timeout.
/// </summary>
public sealed class ServerUnavailableException : BatonException
{
    /// <summary>Creates the exception for <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">The server's endpoint.</param>
    /// <param name="attempts">How many times the request was sent.</param>
    /// <param name="timeout">How long each attempt waited.</param>
    public ServerUnavailableException(string endpoint, int attempts, TimeSpan timeout)
        : base($"No reply from {endpoint} after {attempts} attempt(s) of {timeout.TotalMilliseconds:0} ms each; the server seems to be down.")
    {
        Endpoint = endpoint;
        Attempts = attempts;
    }

    /// <summary>The server's endpoint.</summary>
    public string Endpoint { get; }

    /// <summary>How many times the request was sent.</summary>
    public int Attempts { get; }
}
