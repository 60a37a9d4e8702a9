using Baton.Messages;
using Baton.Processes.Internal.Managers;

namespace Baton.Processes;

/// <summary>
/// A handle on a named object held by a <see cref="Manager"/>. Each call is one request to the manager and
/// is applied atomically there; proxies of the same name in any process see the same object.
/// </summary>
public abstract class ManagerProxy
{
    private readonly ManagerChannel _channel;

    private protected ManagerProxy(Manager manager, ManagerChannel channel, string name)
    {
        Manager = manager;
        _channel = channel;
        Name = name;
    }

    /// <summary>The manager connection this proxy came from.</summary>
    internal Manager Manager { get; }

    /// <summary>The object's name on the manager.</summary>
    public string Name { get; }

    /// <summary>The endpoint of the manager holding the object.</summary>
    public string Endpoint => _channel.Endpoint;

    private protected ValueTask<(ManagerStatus Status, Frame[] Payload)> SendAsync(ManagerOp op, Frame[] arguments, CancellationToken cancellationToken, bool withdrawable = false)
        => _channel.RequestAsync(op, Name, arguments, withdrawable, cancellationToken);

    /// <summary>Sends a request whose only acceptable answer is Ok, and returns the reply's frames.</summary>
    private protected async ValueTask<Frame[]> CallAsync(ManagerOp op, Frame[] arguments, CancellationToken cancellationToken)
    {
        var (status, payload) = await SendAsync(op, arguments, cancellationToken).ConfigureAwait(false);
        return status == ManagerStatus.Ok ? payload : throw Failure(status, payload);
    }

    /// <summary>The exception for an answer the caller did not expect.</summary>
    private protected Exception Failure(ManagerStatus status, Frame[] payload) => status switch
    {
        ManagerStatus.NotFound => new KeyNotFoundException($"'{Name}' on the manager at {Endpoint} does not hold that key."),
        ManagerStatus.OutOfRange => new ArgumentOutOfRangeException("index", $"The index is outside '{Name}' ({(payload.Length == 1 && ManagerWire.TryReadInt32(payload[0].Span, out var count) ? count : 0)} items)."),
        ManagerStatus.TimedOut => new TimeoutException($"'{Name}' on the manager at {Endpoint} did not answer in time."),
        ManagerStatus.WrongKind => new InvalidOperationException($"The manager at {Endpoint} already holds an object named '{Name}' of another kind."),
        ManagerStatus.ShuttingDown => new ManagerUnavailableException($"The manager at {Endpoint} is shutting down.") { Endpoint = Endpoint },
        _ => new InvalidOperationException($"The manager at {Endpoint} refused a request on '{Name}' ({status}); is it the same Baton version?"),
    };

    /// <summary>Runs a request synchronously: the manager's socket I/O does not need the calling thread or the thread pool.</summary>
    private protected static T Wait<T>(ValueTask<T> pending) => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private protected static void Wait(ValueTask pending)
    {
        if (!pending.IsCompletedSuccessfully)
        {
            pending.AsTask().GetAwaiter().GetResult();
        }
    }

    internal static async Task OpenAsync(ManagerChannel channel, string name, ManagedObjectKind kind, int maxSize, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var (status, _) = await channel.RequestAsync(ManagerOp.Open, name, [ManagerWire.Byte((byte)kind), ManagerWire.Int32(maxSize)], false, cancellationToken).ConfigureAwait(false);
        if (status == ManagerStatus.WrongKind)
        {
            throw new InvalidOperationException($"The manager at {channel.Endpoint} already holds an object named '{name}' that is not a {kind.ToString().ToLowerInvariant()}.");
        }

        if (status != ManagerStatus.Ok)
        {
            throw new InvalidOperationException($"The manager at {channel.Endpoint} refused to open '{name}' ({status}).");
        }
    }
}
