using Baton.Sockets;

namespace Baton.Extensions.Hosting;

/// <summary>
/// Settings of the <see cref="Context"/> that <see cref="BatonServiceCollectionExtensions.AddBaton(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{BatonOptions})"/>
/// registers; set them in code or bind them with <c>services.Configure&lt;BatonOptions&gt;(section)</c>.
/// </summary>
public sealed class BatonOptions
{
    /// <summary>The context's I/O threads (<see cref="Context.IoThreads"/>): 0 runs connections on the thread pool. Default 1.</summary>
    public int IoThreads { get; set; } = 1;
}
