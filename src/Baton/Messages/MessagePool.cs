using System.Collections.Concurrent;

namespace Baton.Messages;

/// <summary>
/// Recycled <see cref="Message"/> objects. A sender takes and returns on its own thread, so one message
/// per thread is cached without any shared operation; a read loop takes on its thread and the receiver
/// returns on another, so behind the cache sits a shared queue, bounded so a burst does not pin memory forever.
/// </summary>
internal static class MessagePool
{
    private const int Capacity = 4 * 1024;
    private static readonly ConcurrentQueue<Message> Items = new();
    private static int _count;

    [ThreadStatic]
    private static Message? t_cached;

    public static bool TryTake(out Message message)
    {
        var cached = t_cached;
        if (cached is not null)
        {
            t_cached = null;
            message = cached;
            return true;
        }

        if (Items.TryDequeue(out message!))
        {
            Interlocked.Decrement(ref _count);
            return true;
        }

        return false;
    }

    public static void Return(Message message)
    {
        if (t_cached is null)
        {
            t_cached = message;
            return;
        }

        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return;
        }

        Items.Enqueue(message);
    }
}
