namespace Baton.Wire.Mechanisms;

/// <summary>
/// Makes the mechanism for each connection of a socket, and says up front whether it transforms
/// bytes, because a socket's queues are built before any connection exists (see <see cref="Mechanism"/>).
/// </summary>
internal sealed class MechanismFactory(bool transformsBytes, Func<Mechanism> create)
{
    /// <summary>The NULL mechanism, the default.</summary>
    public static MechanismFactory Null { get; } = new(false, static () => new NullMechanism());

    /// <summary>True when the mechanisms made transform bytes (encoding then happens per connection at write time).</summary>
    public bool TransformsBytes { get; } = transformsBytes;

    /// <summary>A new mechanism for one connection.</summary>
    public Mechanism Create()
    {
        var mechanism = create();
        if (mechanism.TransformsBytes != TransformsBytes)
        {
            throw new InvalidOperationException($"Mechanism {mechanism.Name} does not match its factory's TransformsBytes.");
        }

        return mechanism;
    }
}
