namespace Baton.Patterns;

/// <summary>
/// A snapshot of what a <see cref="Proxy"/> forwarded, the eight values a STATISTICS command on its
/// control socket returns (frontend first, then backend).
/// </summary>
/// <param name="Frontend">What the frontend socket received and sent.</param>
/// <param name="Backend">What the backend socket received and sent.</param>
public readonly record struct ProxyStatistics(ProxySocketStatistics Frontend, ProxySocketStatistics Backend);
