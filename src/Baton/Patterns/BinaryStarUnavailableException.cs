namespace Baton.Patterns;

/// <summary>A <see cref="BinaryStarClient"/> request got no reply from either server within its attempts.</summary>
public sealed class BinaryStarUnavailableException : BatonException
{
    /// <summary>Creates the exception with a message, the servers tried and the number of attempts.</summary>
    public BinaryStarUnavailableException(string message, IReadOnlyList<string> endpoints, int attempts)
        : base(message)
    {
        Endpoints = endpoints;
        Attempts = attempts;
    }

    /// <summary>The servers' endpoints, primary first.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <summary>How many times the request was sent, across both servers.</summary>
    public int Attempts { get; }
}
