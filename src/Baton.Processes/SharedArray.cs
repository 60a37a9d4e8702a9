using Baton.Processes.Internal;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// A fixed-length array of an unmanaged type in shared memory, found by name from other processes (Python's
/// <c>multiprocessing.Array</c>), with per-element atomic operations and a cross-process lock
/// (<see cref="GetLock"/>).
/// </summary>
/// <typeparam name="T">An unmanaged type; atomic Add/Increment need int, uint, long, ulong, float or double,
/// atomic Read/Write/Exchange/CompareExchange any type of 1, 2, 4 or 8 bytes. Larger types go through
/// <see cref="Lock"/>.</typeparam>
/// <remarks>
/// The block is released when the last process that has it open disposes it or dies. Opening checks that the
/// block holds an array of the same element type (by full type name and size).
/// </remarks>
[MessagePackFormatter(typeof(SharedArrayFormatter<>))]
public sealed unsafe class SharedArray<T> : IDisposable where T : unmanaged
{
    private readonly ProcessLock _lock;
    private readonly T* _items;
    private bool _disposed;

    private SharedArray(ProcessLock owner, int length)
    {
        _lock = owner;
        _items = SharedTyped.Data<T>(owner);
        Length = length;
    }

    /// <summary>The array's name, as given to <see cref="Open"/> in other processes.</summary>
    public string Name => _lock.Name;

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>
    /// The element at <paramref name="index"/>, read and written in place (plain accesses: use
    /// <see cref="Read"/>/<see cref="Write"/> or the atomics when other processes write it concurrently).
    /// </summary>
    public ref T this[int index]
    {
        get
        {
            ThrowIfDisposed();
            CheckIndex(index);
            return ref _items[index];
        }
    }

    /// <summary>Creates an array of <paramref name="length"/> zeroed elements (null name: a generated one).</summary>
    /// <exception cref="ArgumentException">The name is not a valid shared memory name.</exception>
    /// <exception cref="SharedMemoryExistsException">A live block already has that name.</exception>
    public static SharedArray<T> Create(string? name, int length) =>
        new(SharedTyped.Create<T>(name, SharedLayout.ArrayMagic, length, initialize: null), length);

    /// <summary>Creates an array holding a copy of <paramref name="values"/> (null name: a generated one).</summary>
    /// <exception cref="ArgumentException">The name is not a valid shared memory name.</exception>
    /// <exception cref="SharedMemoryExistsException">A live block already has that name.</exception>
    public static SharedArray<T> Create(string? name, ReadOnlySpan<T> values)
    {
        // Copied in before the block gets its name, so no opener ever sees zeros instead.
        T[] copy = values.ToArray();
        return new(SharedTyped.Create<T>(name, SharedLayout.ArrayMagic, copy.Length, span => copy.CopyTo(span)), copy.Length);
    }

    /// <summary>Opens the array another process created.</summary>
    /// <exception cref="FileNotFoundException">No block of that name exists.</exception>
    /// <exception cref="InvalidDataException">The block is not a <see cref="SharedArray{T}"/> of this <typeparamref name="T"/>.</exception>
    public static SharedArray<T> Open(string name)
    {
        ProcessLock owner = SharedTyped.Open<T>(name, SharedLayout.ArrayMagic, $"SharedArray<{typeof(T).Name}>", out int length);
        return new SharedArray<T>(owner, length);
    }

    /// <summary>The whole array as a span over the shared memory; not to be used after <see cref="Dispose"/>.</summary>
    public Span<T> AsSpan()
    {
        ThrowIfDisposed();
        return new Span<T>(_items, Length);
    }

    /// <summary>A volatile read of one element: never torn, sees the latest write of any process.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public T Read(int index) => SharedAtomics.Read(ref this[index]);

    /// <summary>A volatile write of one element: never torn.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public void Write(int index, T value) => SharedAtomics.Write(ref this[index], value);

    /// <summary>Atomically adds <paramref name="delta"/> to one element; returns its new value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not int, uint, long, ulong, float or double.</exception>
    public T Add(int index, T delta) => SharedAtomics.Add(ref this[index], delta);

    /// <summary>Atomically adds one to one element; returns its new value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not int, uint, long, ulong, float or double.</exception>
    public T Increment(int index) => SharedAtomics.Add(ref this[index], SharedAtomics.One<T>());

    /// <summary>Atomically subtracts one from one element; returns its new value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not int, uint, long, ulong, float or double.</exception>
    public T Decrement(int index) => SharedAtomics.Add(ref this[index], SharedAtomics.MinusOne<T>());

    /// <summary>Atomically stores <paramref name="value"/> in one element; returns the previous value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public T Exchange(int index, T value) => SharedAtomics.Exchange(ref this[index], value);

    /// <summary>
    /// Atomically stores <paramref name="value"/> in one element if it is bitwise equal to
    /// <paramref name="comparand"/>; returns the value found.
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public T CompareExchange(int index, T value, T comparand) => SharedAtomics.CompareExchange(ref this[index], value, comparand);

    /// <summary>The array's cross-process lock (Python's <c>get_lock()</c>), for multi-element updates.</summary>
    public ProcessLock GetLock()
    {
        ThrowIfDisposed();
        return _lock;
    }

    /// <summary>Acquires the array's lock; dispose the scope to release it.</summary>
    /// <exception cref="TimeoutException">The lock stayed held for the whole timeout.</exception>
    public ProcessLockScope Lock(TimeSpan? timeout = null) => GetLock().Acquire(timeout);

    /// <summary>Closes this process's handle; the last one to close (or die) removes the block.</summary>
    public void Dispose()
    {
        _disposed = true;
        _lock.DisposeCore();
    }

    /// <inheritdoc />
    public override string ToString() => $"SharedArray<{typeof(T).Name}> '{Name}' ({Length} elements)";

    private void ThrowIfDisposed()
    {
        // Named as ToString does: ThrowIf(this) would print the assembly-qualified name of the generic type.
        if (_disposed)
            throw new ObjectDisposedException(ToString());
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Length)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Shared array '{Name}' has {Length} elements.");
    }
}
