namespace Baton.Processes.Internal;

/// <summary>How many items travel to a worker together.</summary>
internal static class Chunking
{
    /// <summary>
    /// multiprocessing.Pool.map's default: divmod(len, workers * 4), rounded up; at least 1. Four chunks
    /// per worker keeps every worker busy to the end while paying one round trip per chunk.
    /// </summary>
    public static int DefaultChunkSize(int itemCount, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        if (itemCount == 0)
            return 1;
        var per = (long)Math.Max(1, workers) * 4;
        var size = (itemCount + per - 1) / per;
        return (int)Math.Max(1, size);
    }

    /// <summary>The number of chunks <paramref name="itemCount"/> items make at <paramref name="chunkSize"/>.</summary>
    public static int ChunkCount(int itemCount, int chunkSize) => itemCount == 0 ? 0 : (int)(((long)itemCount + chunkSize - 1) / chunkSize);
}
