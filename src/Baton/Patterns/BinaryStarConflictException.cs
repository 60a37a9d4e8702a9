namespace Baton.Patterns;

/// <summary>
/// A Binary Star server found its peer in a state the pair cannot live with (both active: split
/// brain; both passive: nobody serves) and stopped, as the guide's servers abort. Restart the pair.
/// </summary>
public sealed class BinaryStarConflictException : BatonException
{
    /// <summary>Creates the exception with a message.</summary>
    public BinaryStarConflictException(string message)
        : base(message)
    {
    }
}
