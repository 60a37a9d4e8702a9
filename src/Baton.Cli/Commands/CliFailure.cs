namespace Baton.Cli.Commands;

/// <summary>A usage problem found after parsing; reported as one line on stderr.</summary>
internal sealed class CliFailure(string message) : Exception(message);
