using Xunit;

namespace Baton.Processes.Tests.Queues;

/// <summary>JoinableProcessQueue: tasks counted in shared memory.</summary>
public class JoinableProcessQueueTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Join_ReturnsWhenEveryPutIsDone()
    {
        using var queue = new JoinableProcessQueue<int>();
        using var worker = JoinableProcessQueue<int>.Open(queue.Name);
        for (var i = 0; i < 10; i++)
            queue.Put(i);
        Assert.False(queue.Join(TimeSpan.FromMilliseconds(10)));
        var consumer = Task.Run(() =>
        {
            for (var i = 0; i < 10; i++)
            {
                worker.Get(Generous);
                worker.TaskDone();
            }
        });
        Assert.True(queue.Join(Generous));
        await consumer.WaitAsync(Generous);
        Assert.Equal(0, queue.UnfinishedTasks);
    }

    [Fact]
    public void TaskDone_MoreThanPuts_Throws()
    {
        using var queue = new JoinableProcessQueue<int>();
        queue.Put(1);
        queue.Get(Generous);
        queue.TaskDone();
        Assert.Throws<InvalidOperationException>(queue.TaskDone);
    }

    [Fact]
    public async Task JoinAsync_CompletesAndCancels()
    {
        using var queue = new JoinableProcessQueue<int>();
        queue.Put(1);
        using var cancel = new CancellationTokenSource();
        var cancelled = queue.JoinAsync(cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Generous));
        var joined = queue.JoinAsync();
        queue.Get(Generous);
        queue.TaskDone();
        await joined.WaitAsync(Generous);
    }
}
