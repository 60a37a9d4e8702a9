using Baton.Sockets;
using Microsoft.Extensions.Options;

namespace Baton.Extensions.Hosting;

/// <summary>
/// Builds the named <see cref="SocketOptions"/> from their sources, then runs the application's own
/// <see cref="IValidateOptions{TOptions}"/>; every problem found goes into one <see cref="OptionsValidationException"/>.
/// </summary>
/// <remarks>
/// <c>Configure&lt;SocketOptions&gt;(...)</c> registrations are refused, not run: they would mutate an
/// immutable record (the shared <see cref="SocketOptions.Default"/> among them) through reflection.
/// </remarks>
internal sealed class SocketOptionsFactory(
    IEnumerable<SocketOptionsSource> sources,
    IEnumerable<IValidateOptions<SocketOptions>> validators,
    IEnumerable<IConfigureOptions<SocketOptions>> configures) : IOptionsFactory<SocketOptions>
{
    private readonly SocketOptionsSource[] _sources = [.. sources];
    private readonly IValidateOptions<SocketOptions>[] _validators = [.. validators];
    private readonly IConfigureOptions<SocketOptions>[] _configures = [.. configures];

    public SocketOptions Create(string name)
    {
        var options = SocketOptions.Default;
        var failures = new List<string>();
        foreach (var configure in _configures)
        {
            var applies = configure switch
            {
                ConfigureNamedOptions<SocketOptions> named => named.Name is null || named.Name == name,
                IConfigureNamedOptions<SocketOptions> => true,
                _ => name == Options.DefaultName,
            };
            if (!applies)
            {
                continue;
            }

            failures.Add($"SocketOptions \"{name}\" has a Configure<SocketOptions> registration, which cannot change an immutable record: use services.AddBaton().AddSocketOptions(\"{name}\", section or o => o with {{ ... }}) instead.");
            break;
        }

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
