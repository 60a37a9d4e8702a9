namespace Baton.Processes;

/// <summary>How far a Map has got: items completed out of the total, reported through <see cref="IProgress{T}"/> as chunks complete.</summary>
/// <param name="Completed">Items whose results have arrived.</param>
/// <param name="Total">Items in the Map.</param>
public readonly record struct PoolProgress(int Completed, int Total);
