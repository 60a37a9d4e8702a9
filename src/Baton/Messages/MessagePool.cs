using System.Collections.Concurrent;

namespace Baton.Messages;

/// <summary>
/// Recycled <see cref="Message"/> objects. Each thread keeps a small stack of its own, so a sender
/// that takes and returns on one thread touches nothing shared. Messages usually move one way between
/// threads (a read loop or inproc sender takes, the receiver returns), so threads trade them in whole
/// batches through a shared queue: one shared operation per batch, not per message. Bounded, so a
/// burst does not pin memory forever.
/// </summary>
internal static class MessagePool
{
    private const int BatchSize = 32;
    private const int MaxBatches = 128;
    private static readonly ConcurrentQueue<MessageBody[]> Full = new();
    private static readonly ConcurrentQueue<MessageBody[]> Empty = new();
    private static int _fullCount;

    [ThreadStatic]
    private static MessageBody[]? t_stack;

    [ThreadStatic]
    private static int t_count;

    public static bool TryTake(out MessageBody message)
    {
        var stack = t_stack;
        if (stack is not null && t_count > 0)
        {
            message = stack[--t_count];
            stack[t_count] = null!;
            return true;
        }

        // Swap our empty stack for a full batch that another thread gave back.
        if (Full.TryDequeue(out var batch))
        {
            Interlocked.Decrement(ref _fullCount);
            if (stack is not null)
            {
                Empty.Enqueue(stack);
            }

            t_stack = batch;
            t_count = BatchSize - 1;
            message = batch[BatchSize - 1];
            batch[BatchSize - 1] = null!;
            return true;
        }

        message = null!;
        return false;
    }

    public static void Return(MessageBody message)
    {
        var stack = t_stack ??= Empty.TryDequeue(out var reused) ? reused : new MessageBody[BatchSize];
        if (t_count == BatchSize)
        {
            // Our stack is full: hand it over whole and start another.
            if (Interlocked.Increment(ref _fullCount) > MaxBatches)
            {
                Interlocked.Decrement(ref _fullCount);
                return;
            }

            Full.Enqueue(stack);
            stack = t_stack = Empty.TryDequeue(out var next) ? next : new MessageBody[BatchSize];
            t_count = 0;
        }

        stack[t_count++] = message;
    }
}
