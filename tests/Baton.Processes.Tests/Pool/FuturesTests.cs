using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests.Pool;

/// <summary>The concurrent.futures helpers, the default chunking and the chunk codec, without processes.</summary>
public class FuturesTests
{
    private static readonly TimeSpan Patience = PoolTestFolder.Patience;

    [Fact]
    public async Task WaitAsync_FirstCompleted_ReturnsWhenOneIsDone()
    {
        var slow = new TaskCompletionSource<int>();
        var fast = new TaskCompletionSource<int>();
        var waiting = Futures.WaitAsync([slow.Task, fast.Task], ReturnWhen.FirstCompleted);
        fast.SetResult(1);
        var result = await waiting.WaitAsync(Patience);
        Assert.Equal([fast.Task], result.Done);
        Assert.Equal([slow.Task], result.NotDone);
    }

    [Fact]
    public async Task WaitAsync_FirstException_ReturnsOnAFault_NotOnASuccess()
    {
        var ok = new TaskCompletionSource<int>();
        var bad = new TaskCompletionSource<int>();
        var other = new TaskCompletionSource<int>();
        var waiting = Futures.WaitAsync([ok.Task, bad.Task, other.Task], ReturnWhen.FirstException);
        ok.SetResult(1);
        await Task.Yield();
        Assert.False(waiting.IsCompleted);
        bad.SetException(new InvalidOperationException());
        var result = await waiting.WaitAsync(Patience);
        Assert.Equal(2, result.Done.Count);
        Assert.Equal([other.Task], result.NotDone);
    }

    [Fact]
    public async Task WaitAsync_AllCompleted_AndTimeout_ReportWhatIsDone()
    {
        var done = Task.FromResult(1);
        var never = new TaskCompletionSource<int>().Task;
        var result = await Futures.WaitAsync([done, never], ReturnWhen.AllCompleted, TimeSpan.FromMilliseconds(50)).WaitAsync(Patience);
        Assert.Equal([done], result.Done);
        Assert.Equal([never], result.NotDone);

        var all = await Futures.WaitAsync([done, Task.FromResult(2)]).WaitAsync(Patience);
        Assert.Equal(2, all.Done.Count);
        Assert.Empty(all.NotDone);
    }

    [Fact]
    public async Task AsCompleted_YieldsInCompletionOrder()
    {
        var a = new TaskCompletionSource<int>();
        var b = new TaskCompletionSource<int>();
        var c = new TaskCompletionSource<int>();
        await using var order = Futures.AsCompleted([a.Task, b.Task, c.Task]).GetAsyncEnumerator();
        var next = order.MoveNextAsync().AsTask();
        b.SetResult(2);
        Assert.True(await next.WaitAsync(Patience));
        Assert.Same(b.Task, order.Current);
        next = order.MoveNextAsync().AsTask();
        c.SetResult(3);
        Assert.True(await next.WaitAsync(Patience));
        Assert.Same(c.Task, order.Current);
        a.SetResult(1);
        Assert.True(await order.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Same(a.Task, order.Current);
        Assert.False(await order.MoveNextAsync().AsTask().WaitAsync(Patience));
    }

    [Fact]
    public async Task AsCompleted_Timeout_Throws()
    {
        var never = new TaskCompletionSource<int>().Task;
        await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var _ in Futures.AsCompleted([Task.FromResult(1), never], TimeSpan.FromMilliseconds(50)))
            {
            }
        }).WaitAsync(Patience);
    }

    [Fact]
    public void ChunkCodec_RoundTrips_RawPrimitives_AndMessagePackForTheRest()
    {
        int[] ints = [0, 1, -5, int.MaxValue];
        Assert.Equal(ints, ChunkCodec<int>.Deserialize(ChunkCodec<int>.Serialize(ints)));
        Assert.Equal(16, ChunkCodec<int>.Serialize(ints).Length); // raw: 4 bytes each
        double[] doubles = [1.5, double.NaN, -0.0];
        Assert.Equal(doubles, ChunkCodec<double>.Deserialize(ChunkCodec<double>.Serialize(doubles)));
        bool[] flags = [true, false];
        Assert.Equal(flags, ChunkCodec<bool>.Deserialize(ChunkCodec<bool>.Serialize(flags)));
        Assert.Empty(ChunkCodec<long>.Deserialize(ChunkCodec<long>.Serialize([])));
        string?[] texts = ["a", null, "ü"];
        Assert.Equal(texts, ChunkCodec<string?>.Deserialize(ChunkCodec<string?>.Serialize(texts)));
        (int, string)[] pairs = [(1, "x"), (2, "y")];
        Assert.Equal(pairs, ChunkCodec<(int, string)>.Deserialize(ChunkCodec<(int, string)>.Serialize(pairs)));
        Assert.Throws<InvalidDataException>(() => ChunkCodec<int>.Deserialize([1, 2, 3]));
    }

    [Theory]
    [InlineData(0, 4, 1)]
    [InlineData(1, 4, 1)]
    [InlineData(100, 4, 7)] // divmod(100, 16) = (6, 4): rounded up
    [InlineData(96, 4, 6)]
    [InlineData(1_000_000, 2, 125_000)]
    [InlineData(10, 0, 3)] // no workers counts as one
    public void DefaultChunkSize_IsPythons(int items, int workers, int expected)
        => Assert.Equal(expected, Chunking.DefaultChunkSize(items, workers));
}
