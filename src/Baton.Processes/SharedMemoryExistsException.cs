namespace Baton.Processes;

/// <summary>
/// Thrown by <see cref="SharedMemory.Create(string?, long)"/> when a live shared-memory block already has the
/// requested name (some process still holds it open).
/// </summary>
public sealed class SharedMemoryExistsException : IOException
{
    /// <summary>Creates the exception for the block named <paramref name="name"/>.</summary>
    public SharedMemoryExistsException(string name)
        : base($"A shared memory block named '{name}' already exists and is held open by a running process; open it with SharedMemory.Open, or choose another name.")
    {
        Name = name;
    }

    /// <summary>The name that is in use.</summary>
    public string Name { get; }
}
