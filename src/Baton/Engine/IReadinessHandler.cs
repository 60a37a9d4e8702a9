namespace Baton.Engine;

/// <summary>What an <see cref="IoThread"/> calls, on its own thread, when a registered descriptor changes readiness (edge-triggered).</summary>
internal interface IReadinessHandler
{
    /// <summary>New readiness: epoll's event bits (Internal/Epoll.cs).</summary>
    void OnReady(uint events);
}
