using Baton.Sockets;
using Microsoft.Extensions.Configuration;

namespace Baton.Extensions.Hosting;

/// <summary>One source of the socket options called <see cref="Name"/>: a configuration section or a change in code.</summary>
internal sealed class SocketOptionsSource(string name, IConfiguration? configuration, Func<SocketOptions, SocketOptions>? configure)
{
    public string Name { get; } = name;

    /// <summary>Applies this source to <paramref name="options"/>; what it cannot apply goes to <paramref name="failures"/>.</summary>
    public SocketOptions Apply(SocketOptions options, List<string> failures)
    {
        if (configuration is not null)
        {
            return SocketOptionsReader.Read(configuration, options, failures);
        }

        try
        {
            return configure!(options) ?? throw new InvalidOperationException("returned null");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            failures.Add($"AddSocketOptions(\"{Name}\", configure): {SocketOptionsReader.Problem(e)}");
            return options;
        }
    }
}
