namespace Baton.Processes.Tests.Queues;

/// <summary>Methods the queue tests run in child processes.</summary>
internal static class QueueWork
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Takes <paramref name="count"/> strings and checks their order.</summary>
    public static int ConsumeInOrder(ProcessQueue<string> queue, int count)
    {
        using (queue)
        {
            for (var i = 0; i < count; i++)
            {
                var message = queue.Get(Patience);
                if (message != "MESSAGE " + i)
                    return -i - 1;
            }

            return count;
        }
    }

    /// <summary>Puts <paramref name="count"/> strings.</summary>
    public static int Produce(ProcessQueue<string> queue, int count)
    {
        using (queue)
        {
            for (var i = 0; i < count; i++)
                queue.Put("MESSAGE " + i, Patience);
            return count;
        }
    }

    /// <summary>Puts (producer, sequence) pairs.</summary>
    public static int ProducePairs(ProcessQueue<long[]> queue, int producer, int count)
    {
        using (queue)
        {
            for (var i = 0; i < count; i++)
                queue.Put([producer, i], Patience);
            return count;
        }
    }

    /// <summary>Takes pairs until the queue is closed and drained; returns them flattened.</summary>
    public static List<long> ConsumePairsUntilClosed(ProcessQueue<long[]> queue)
    {
        using (queue)
        {
            var seen = new List<long>();
            try
            {
                while (true)
                    seen.AddRange(queue.Get(Patience));
            }
            catch (QueueClosedException)
            {
                return seen;
            }
        }
    }

    /// <summary>Puts self-checking byte messages for ever (until killed).</summary>
    public static int ProduceForever(ByteQueue queue, ByteQueue started)
    {
        var message = new byte[4000];
        started.Put([1]);
        for (var i = 0; ; i++)
        {
            message.AsSpan().Fill((byte)i);
            queue.Put(message, Patience);
        }
    }

    /// <summary>Says it is about to wait, then waits for a message that never comes (until killed).</summary>
    public static int BlockOnGet(ByteQueue queue, ByteQueue started)
    {
        started.Put([1]);
        return queue.Get(Patience).Length;
    }

    /// <summary>Echoes pipe messages until the other end closes.</summary>
    public static int Echo(PipeConnection end)
    {
        using (end)
        {
            var echoed = 0;
            try
            {
                while (true)
                {
                    end.Send(end.Receive<string>(Patience) + "!");
                    echoed++;
                }
            }
            catch (EndOfStreamException)
            {
                return echoed;
            }
        }
    }

    /// <summary>Takes values and marks each done.</summary>
    public static int WorkAndMarkDone(JoinableProcessQueue<int> queue, int count)
    {
        using (queue)
        {
            for (var i = 0; i < count; i++)
            {
                queue.Get(Patience);
                queue.TaskDone();
            }

            return count;
        }
    }
}
