using Baton.Processes.Internal;
using MessagePack;

namespace Baton.Processes;

/// <summary>
/// One value of an unmanaged type in shared memory, found by name from other processes (Python's
/// <c>multiprocessing.Value</c>), with atomic operations and a cross-process lock (<see cref="GetLock"/>).
/// </summary>
/// <typeparam name="T">An unmanaged type; atomic Add/Increment need int, uint, long, ulong, float or double,
/// atomic Read/Write/Exchange/CompareExchange any type of 1, 2, 4 or 8 bytes. Larger types go through
/// <see cref="Lock"/>.</typeparam>
/// <remarks>
/// The block is released when the last process that has it open disposes it or dies. Opening checks that the
/// block holds a value of the same type (by full type name and size).
/// </remarks>
[MessagePackFormatter(typeof(SharedValueFormatter<>))]
public sealed unsafe class SharedValue<T> : IDisposable where T : unmanaged
{
    private readonly ProcessLock _lock;
    private readonly T* _value;
    private bool _disposed;

    private SharedValue(ProcessLock owner)
    {
        _lock = owner;
        _value = SharedTyped.Data<T>(owner);
    }

    /// <summary>The value's name, as given to <see cref="Open"/> in other processes.</summary>
    public string Name => _lock.Name;

    /// <summary>
    /// The value itself, read and written in place (plain accesses: use <see cref="Read"/>/<see cref="Write"/> or
    /// the atomics when other processes write concurrently).
    /// </summary>
    public ref T Value
    {
        get
        {
            ThrowIfDisposed();
            return ref *_value;
        }
    }

    /// <summary>Creates a value named <paramref name="name"/> (null: a generated name) holding <paramref name="initial"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid shared memory name.</exception>
    /// <exception cref="SharedMemoryExistsException">A live block already has that name.</exception>
    public static SharedValue<T> Create(string? name = null, T initial = default) =>
        new(SharedTyped.Create<T>(name, SharedLayout.ValueMagic, 1, span => span[0] = initial));

    /// <summary>Opens the value another process created.</summary>
    /// <exception cref="FileNotFoundException">No block of that name exists.</exception>
    /// <exception cref="InvalidDataException">The block is not a <see cref="SharedValue{T}"/> of this <typeparamref name="T"/>.</exception>
    public static SharedValue<T> Open(string name) =>
        new(SharedTyped.Open<T>(name, SharedLayout.ValueMagic, $"SharedValue<{typeof(T).Name}>", out _));

    /// <summary>The value as a span of one element.</summary>
    public Span<T> AsSpan()
    {
        ThrowIfDisposed();
        return new Span<T>(_value, 1);
    }

    /// <summary>A volatile read: never torn, sees the latest write of any process.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public T Read()
    {
        ThrowIfDisposed();
        return SharedAtomics.Read(ref *_value);
    }

    /// <summary>A volatile write: never torn.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public void Write(T value)
    {
        ThrowIfDisposed();
        SharedAtomics.Write(ref *_value, value);
    }

    /// <summary>Atomically adds <paramref name="delta"/>; returns the new value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not int, uint, long, ulong, float or double.</exception>
    public T Add(T delta)
    {
        ThrowIfDisposed();
        return SharedAtomics.Add(ref *_value, delta);
    }

    /// <summary>Atomically adds one; returns the new value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not int, uint, long, ulong, float or double.</exception>
    public T Increment()
    {
        ThrowIfDisposed();
        return SharedAtomics.Add(ref *_value, SharedAtomics.One<T>());
    }

    /// <summary>Atomically subtracts one; returns the new value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not int, uint, long, ulong, float or double.</exception>
    public T Decrement()
    {
        ThrowIfDisposed();
        return SharedAtomics.Add(ref *_value, SharedAtomics.MinusOne<T>());
    }

    /// <summary>Atomically stores <paramref name="value"/>; returns the previous value.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public T Exchange(T value)
    {
        ThrowIfDisposed();
        return SharedAtomics.Exchange(ref *_value, value);
    }

    /// <summary>
    /// Atomically stores <paramref name="value"/> if the value is bitwise equal to <paramref name="comparand"/>;
    /// returns the value found (equal to <paramref name="comparand"/> when the store happened).
    /// </summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not 1, 2, 4 or 8 bytes long.</exception>
    public T CompareExchange(T value, T comparand)
    {
        ThrowIfDisposed();
        return SharedAtomics.CompareExchange(ref *_value, value, comparand);
    }

    /// <summary>The value's cross-process lock (Python's <c>get_lock()</c>), for multi-step updates.</summary>
    public ProcessLock GetLock()
    {
        ThrowIfDisposed();
        return _lock;
    }

    /// <summary>Acquires the value's lock; dispose the scope to release it.</summary>
    /// <exception cref="TimeoutException">The lock stayed held for the whole timeout.</exception>
    public ProcessLockScope Lock(TimeSpan? timeout = null) => GetLock().Acquire(timeout);

    /// <summary>Closes this process's handle; the last one to close (or die) removes the block.</summary>
    public void Dispose()
    {
        _disposed = true;
        _lock.DisposeCore();
    }

    /// <inheritdoc />
    public override string ToString() => $"SharedValue<{typeof(T).Name}> '{Name}'";

    private void ThrowIfDisposed()
    {
        // Named as ToString does: ThrowIf(this) would print the assembly-qualified name of the generic type.
        if (_disposed)
            throw new ObjectDisposedException(ToString());
    }
}
