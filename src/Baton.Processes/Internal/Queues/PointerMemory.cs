using System.Buffers;

namespace Baton.Processes.Internal.Queues;

/// <summary>
/// Memory over a record's payload in the ring, so a serializer reads it in place; one per thread,
/// re-aimed for every message, so reading allocates nothing.
/// </summary>
internal sealed unsafe class PointerMemory : MemoryManager<byte>
{
    [ThreadStatic]
    private static PointerMemory? t_current;

    private byte* _pointer;
    private int _length;

    /// <summary>This thread's instance aimed at <paramref name="pointer"/>.</summary>
    public static ReadOnlySequence<byte> Over(byte* pointer, int length)
    {
        var memory = t_current ??= new PointerMemory();
        memory._pointer = pointer;
        memory._length = length;
        return new ReadOnlySequence<byte>(memory.Memory);
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => new(_pointer, _length);

    /// <inheritdoc/>
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    /// <inheritdoc/>
    public override void Unpin()
    {
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
    }
}
