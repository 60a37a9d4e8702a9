using Xunit;

namespace Baton.Processes.Tests.Queues;

/// <summary>One piece of code over <see cref="IProcessQueue{T}"/> runs on the shared-memory queue and on a manager's queue alike.</summary>
public sealed class ProcessQueueInterfaceTests
{
    [Fact]
    public async Task SharedMemoryQueue_ServesTheInterface()
    {
        using var queue = new ProcessQueue<int>();
        await ExerciseAsync(queue);
    }

    [Fact]
    public async Task ManagerQueue_ServesTheInterface()
    {
        var folder = Directory.CreateTempSubdirectory("baton-queue-interface-").FullName;
        try
        {
            await using var server = new ManagerServer();
            var endpoint = server.Bind($"ipc://{folder}/manager");
            using var stop = new CancellationTokenSource();
            var serving = server.RunAsync(stop.Token);
            await using (var manager = Manager.Connect(endpoint))
            await using (var queue = manager.Queue<int>("interface"))
            {
                await ExerciseAsync(queue);
            }

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task ExerciseAsync(IProcessQueue<int> queue)
    {
        for (var i = 0; i < 10; i++)
        {
            queue.Put(i);
        }

        await queue.PutAsync(10);
        Assert.Equal(11, queue.Count);
        Assert.Equal(0, queue.Get());
        Assert.Equal(1, await queue.GetAsync());
        Assert.True(queue.TryGet(out var two));
        Assert.Equal(2, two);
        for (var i = 3; i <= 10; i++)
        {
            Assert.Equal(i, queue.Get(TimeSpan.FromSeconds(30)));
        }

        Assert.False(queue.TryGet(out _));
        var empty = Assert.Throws<QueueEmptyException>(() => queue.Get(TimeSpan.FromMilliseconds(20)));
        Assert.IsAssignableFrom<TimeoutException>(empty);
    }
}
