using Baton.Sockets;
using Microsoft.Extensions.Options;

namespace Baton.Extensions.Hosting;

/// <summary>
/// Builds the named <see cref="SocketOptions"/> from their sources, then runs the application's own
/// <see cref="IValidateOptions{TOptions}"/>; every problem found goes into one <see cref="OptionsValidationException"/>.
/// </summary>
internal sealed class SocketOptionsFactory(IEnumerable<SocketOptionsSource> sources, IEnumerable<IValidateOptions<SocketOptions>> validators) : IOptionsFactory<SocketOptions>
{
    private readonly SocketOptionsSource[] _sources = [.. sources];
    private readonly IValidateOptions<SocketOptions>[] _validators = [.. validators];

    public SocketOptions Create(string name)
    {
        var options = SocketOptions.Default;
        var failures = new List<string>();
        foreach (var source in _sources)
        {
            if (string.Equals(source.Name, name, StringComparison.Ordinal))
            {
                options = source.Apply(options, failures);
            }
        }

        if (failures.Count == 0)
        {
            foreach (var validator in _validators)
            {
                var result = validator.Validate(name, options);
                if (result.Failed)
                {
                    failures.AddRange(result.Failures);
                }
            }
        }

        return failures.Count == 0 ? options : throw new OptionsValidationException(name, typeof(SocketOptions), failures);
    }
}
