namespace Baton.Processes.Internal;

/// <summary>A handle on this assembly for code that must name it (startup hooks, tests).</summary>
internal static class ProcessesAssembly
{
    /// <summary>The simple name the runtime resolves this assembly by.</summary>
    public const string Name = "Baton.Processes";
}
