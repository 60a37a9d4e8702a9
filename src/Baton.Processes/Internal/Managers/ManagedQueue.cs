using Baton.Messages;

namespace Baton.Processes.Internal.Managers;

/// <summary>A queue held by a manager, with the requests waiting on it in arrival order.</summary>
internal sealed class ManagedQueue(int maxSize)
{
    public readonly Queue<byte[]> Items = new();
    public readonly LinkedList<Waiter> Getters = new();
    public readonly LinkedList<Waiter> Putters = new();

    public int MaxSize { get; } = maxSize;

    public bool IsFull => MaxSize > 0 && Items.Count >= MaxSize;

    /// <summary>A blocked Get or Put: who asked, which request, until when (milliseconds tick, long.MaxValue for ever).</summary>
    internal sealed record Waiter(Frame Identity, uint RequestId, long Deadline, byte[]? Item);
}
