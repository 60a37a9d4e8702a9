using Baton.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Baton.Extensions.Hosting;

/// <summary>
/// Adds named <see cref="SocketOptions"/> to the services that <see cref="BatonServiceCollectionExtensions.AddBaton"/>
/// registered. Resolve them with <c>IOptionsMonitor&lt;SocketOptions&gt;.Get(name)</c>; a name with no
/// sources gives the defaults. Sources of one name apply in the order they were added.
/// </summary>
public sealed class BatonBuilder
{
    internal BatonBuilder(IServiceCollection services) => Services = services;

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Binds the socket options called <paramref name="name"/> from <paramref name="configuration"/> (for
    /// example <c>configuration.GetSection("Baton:Sockets:feed")</c>), reloading when it changes. Keys are
    /// <see cref="SocketOptions"/>' property names in any case; durations read as <c>hh:mm:ss</c>
    /// (<c>00:00:05</c>, <c>00:00:00.250</c>) or <c>Infinite</c>, numbers in invariant culture, booleans as
    /// <c>true</c>/<c>false</c>, <see cref="SocketOptions.Identity"/> as text (UTF-8); an empty value keeps
    /// the default. An unknown key, a value that does not parse or one that <see cref="SocketOptions"/>
    /// refuses makes resolving the options throw <see cref="OptionsValidationException"/> naming the
    /// configuration key and the problem; the host checks these at startup, so it fails to start.
    /// </summary>
    /// <param name="name">The options' name (<see cref="Options.DefaultName"/> for the unnamed ones).</param>
    /// <param name="configuration">The section that holds the options' keys.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public BatonBuilder AddSocketOptions(string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configuration);
        Services.AddSingleton(new SocketOptionsSource(name, configuration, null));
        Services.AddSingleton<IOptionsChangeTokenSource<SocketOptions>>(new ConfigurationChangeTokenSource<SocketOptions>(name, configuration));
        Services.AddOptions<SocketOptions>(name).ValidateOnStart();
        return this;
    }

    /// <summary>
    /// Changes the socket options called <paramref name="name"/> in code, after the sources added before:
    /// <c>AddSocketOptions("feed", o =&gt; o with { Identity = id })</c>. A value that
    /// <see cref="SocketOptions"/> refuses surfaces as an <see cref="OptionsValidationException"/>, as a bad
    /// configuration value does.
    /// </summary>
    /// <param name="name">The options' name (<see cref="Options.DefaultName"/> for the unnamed ones).</param>
    /// <param name="configure">Returns the options changed (a <c>with</c> expression).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public BatonBuilder AddSocketOptions(string name, Func<SocketOptions, SocketOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        Services.AddSingleton(new SocketOptionsSource(name, null, configure));
        Services.AddOptions<SocketOptions>(name).ValidateOnStart();
        return this;
    }
}
