using System.Diagnostics.Metrics;
using Baton.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Extensions.Hosting;

/// <summary>Registers Baton with a service collection (<c>services.AddBaton()</c>).</summary>
public static class BatonServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="Context"/> that logs through the host's <see cref="ILoggerFactory"/>
    /// and counts on the "Baton" meter of the host's <see cref="IMeterFactory"/>; once the host's hosted
    /// services have stopped, it closes every socket of that context within what is left of the host's
    /// shutdown timeout (<c>HostOptions.ShutdownTimeout</c>): queued messages get their socket's linger,
    /// and what is still queued when the timeout ends is discarded. The container disposes the context.
    /// Also makes named <see cref="SocketOptions"/> resolvable through <see cref="IOptionsMonitor{TOptions}"/>;
    /// add them with <see cref="BatonBuilder.AddSocketOptions(string, Microsoft.Extensions.Configuration.IConfiguration)"/>.
    /// Calling it again adds nothing but <paramref name="configure"/>.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Sets the context's <see cref="BatonOptions"/>; checked when the host starts.</param>
    /// <returns>A builder for named socket options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static BatonBuilder AddBaton(this IServiceCollection services, Action<BatonOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<BatonOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (!services.Any(static d => d.ServiceType == typeof(Context)))
        {
            options.Validate(static o => o.IoThreads >= 0, $"{nameof(BatonOptions)}.{nameof(BatonOptions.IoThreads)} must be 0 (connections on the thread pool) or more.").ValidateOnStart();
        }

        services.TryAddSingleton(static provider => new Context(provider.GetService<ILoggerFactory>(), provider.GetService<IMeterFactory>())
        {
            IoThreads = provider.GetRequiredService<IOptions<BatonOptions>>().Value.IoThreads,
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ContextLifetime>());

        // SocketOptions is immutable (init-only, validated at each property): the options system's factory
        // would mutate a default instance, so this one builds each named instance from its sources.
        services.TryAddSingleton<IOptionsFactory<SocketOptions>, SocketOptionsFactory>();
        return new BatonBuilder(services);
    }
}
