namespace Baton.Patterns;

/// <summary>A Majordomo request got no reply: every attempt timed out.</summary>
public sealed class MajordomoTimeoutException : TimeoutException
{
    /// <summary>Creates the exception for <paramref name="service"/>.</summary>
    /// <param name="service">The service that did not reply.</param>
    /// <param name="attempts">How many times the request was sent.</param>
    /// <param name="timeout">How long each attempt waited.</param>
    public MajordomoTimeoutException(string service, int attempts, TimeSpan timeout)
        : base($"No reply from Majordomo service '{service}' after {attempts} attempt(s) of {timeout.TotalMilliseconds:0.###} ms each: the broker is unreachable, the service has no live worker, or the worker failed.")
    {
        Service = service;
        Attempts = attempts;
        Timeout = timeout;
    }

    /// <summary>The service that did not reply.</summary>
    public string Service { get; }

    /// <summary>How many times the request was sent.</summary>
    public int Attempts { get; }

    /// <summary>How long each attempt waited.</summary>
    public TimeSpan Timeout { get; }
}
