using Baton.Messages;
using Baton.Processes.Internal.Queues;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// Python's <c>multiprocessing.JoinableQueue</c>: a <see cref="ProcessQueue{T}"/> that counts unfinished
/// tasks in shared memory; consumers call <see cref="TaskDone"/> for each value they finished, and
/// <see cref="Join"/> waits until every value put was done.
/// </summary>
/// <remarks>
/// A message dropped because its producer died mid-write, or lost with a consumer that died holding it,
/// counts as done, so <see cref="Join"/> never waits for a task nobody can finish.
/// </remarks>
/// <typeparam name="T">The type of the messages.</typeparam>
[MessagePackFormatter(typeof(JoinableProcessQueueFormatter<>))]
public sealed class JoinableProcessQueue<T> : ProcessQueue<T>
{
    private JoinableProcessQueue(QueueCore core, IMessageSerializer<T>? serializer)
        : base(core, serializer)
    {
    }

    /// <summary>Creates a joinable queue.</summary>
    /// <inheritdoc cref="ProcessQueue{T}(int, long, IMessageSerializer{T})" path="/param"/>
    public JoinableProcessQueue(int maxSize = 0, long capacity = QueueCore.DefaultCapacity, IMessageSerializer<T>? serializer = null)
        : base(QueueCore.Create(maxSize, capacity), serializer)
    {
    }

    /// <summary>Opens, in this process, a joinable queue created elsewhere.</summary>
    /// <exception cref="FileNotFoundException">No queue has that name (any more).</exception>
    public static new JoinableProcessQueue<T> Open(string name, IMessageSerializer<T>? serializer = null) => new(QueueCore.Open(name), serializer);

    /// <summary>Values put and not yet marked done.</summary>
    public long UnfinishedTasks => Core.Ring.UnfinishedTasks;

    /// <summary>Marks one value taken from the queue as finished.</summary>
    /// <exception cref="InvalidOperationException">Called more times than values were put (Python's ValueError).</exception>
    public void TaskDone()
    {
        Core.Enter();
        try
        {
            if (!Core.Ring.TaskDone())
                throw new InvalidOperationException("TaskDone() was called more times than there were values put in the queue.");
        }
        finally
        {
            Core.Exit();
        }
    }

    /// <summary>Waits until every value put was marked done.</summary>
    /// <param name="timeout">How long to wait; null: for ever.</param>
    /// <returns>False when the timeout passed first.</returns>
    public bool Join(TimeSpan? timeout = null)
    {
        Core.Enter();
        try
        {
            return RingWaits.Join(Core.Ring, timeout, default);
        }
        finally
        {
            Core.Exit();
        }
    }

    /// <summary>Waits asynchronously until every value put was marked done.</summary>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task JoinAsync(CancellationToken cancellationToken = default)
    {
        if (Core.Ring.UnfinishedTasks == 0)
            return Task.CompletedTask;
        return AsyncWaits.Run(
            () =>
            {
                Core.Enter();
                try
                {
                    RingWaits.Join(Core.Ring, null, cancellationToken);
                }
                finally
                {
                    Core.Exit();
                }
            },
            cancellationToken);
    }
}
