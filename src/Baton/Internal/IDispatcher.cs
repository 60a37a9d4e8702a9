namespace Baton.Internal;

/// <summary>Runs callbacks on a thread of its own (an I/O thread), in the order posted, from any thread.</summary>
internal interface IDispatcher
{
    /// <summary>Queues <paramref name="callback"/>; it runs later on the dispatcher's thread, never inline.</summary>
    void Post(Action<object?> callback, object? state);
}
