namespace Baton.Internal;

/// <summary>A wake-up that <see cref="DeferredWakes"/> may hold back.</summary>
internal interface IDeferredWake
{
    /// <summary>Wakes the waiter; never runs its code inline.</summary>
    void WakeNow();
}
