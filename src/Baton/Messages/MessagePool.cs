using System.Collections.Concurrent;

namespace Baton.Messages;

/// <summary>
/// Recycled <see cref="Message"/> objects. Messages are taken on one thread (a read loop) and returned
/// on another (the receiver), so a shared queue rather than a per-thread cache; bounded so a burst
/// does not pin memory forever.
/// </summary>
internal static class MessagePool
{
    private const int Capacity = 16 * 1024;
    private static readonly ConcurrentQueue<Message> Items = new();
    private static int _count;

    public static bool TryTake(out Message message)
    {
        if (Items.TryDequeue(out message!))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    public static void Return(Message message)
    {
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return;
        }

        Items.Enqueue(message);
    }
}
