namespace Baton.Patterns;

/// <summary>What <see cref="BinaryStar.StateChanged"/> reports: the state left, the state entered, and why.</summary>
/// <param name="previous">The state left.</param>
/// <param name="current">The state entered.</param>
/// <param name="reason">Why, in words: what the peer said, or that a client asked while the peer was silent.</param>
public sealed class BinaryStarStateChangedEventArgs(BinaryStarState previous, BinaryStarState current, string reason) : EventArgs
{
    /// <summary>The state left.</summary>
    public BinaryStarState Previous { get; } = previous;

    /// <summary>The state entered.</summary>
    public BinaryStarState Current { get; } = current;

    /// <summary>Why the state changed, in words.</summary>
    public string Reason { get; } = reason;
}
