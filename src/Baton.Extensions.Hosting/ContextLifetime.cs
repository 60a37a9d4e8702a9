using Baton.Sockets;
using Microsoft.Extensions.Hosting;

namespace Baton.Extensions.Hosting;

/// <summary>
/// Closes the context's sockets when the host stops, after every hosted service has stopped (so workers
/// close their own sockets first), with the host's stop token: queued messages linger until it fires at
/// the shutdown timeout, then are discarded, so the host stops on time whatever the sockets' linger.
/// </summary>
internal sealed class ContextLifetime(Context context) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // A worker still waiting on its own socket's linger when the timeout fires is cut short here too.
    public Task StoppedAsync(CancellationToken cancellationToken) => context.CloseAsync(cancellationToken).AsTask();
}
