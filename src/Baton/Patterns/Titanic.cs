using System.Text;
using System.Threading.Channels;
using Baton.Messages;
using Baton.Sockets;
using Microsoft.Extensions.Logging;

namespace Baton.Patterns;

/// <summary>
/// Titanic (9/TSP, ZeroMQ guide chapter 4): disconnected reliability on top of Majordomo. To clients
/// it is three Majordomo services; to workers it is a client. <c>titanic.request</c> stores a
/// request durably and only then answers 200 and the request's id; a dispatcher delivers stored
/// requests to their services through the broker and stores the replies; <c>titanic.reply</c>
/// answers 200 and the reply, 300 while it is pending, 400 for an unknown id; <c>titanic.close</c>
/// forgets a request and its reply.
/// </summary>
/// <remarks>
/// <para>
/// The guarantee: once a client holds an id, its request is on the disk (fsync'd, with its folder
/// entry), so it survives the restart of the broker, of the worker, of this server and of the client;
/// the dispatcher tries it until its service replies, round after round, and the reply is stored the
/// same way before <c>titanic.reply</c> can hand it out. Delivery to the service is at least once: a
/// crash between the service's reply and its storage sends the request again.
/// </para>
/// <para>
/// Before sending a request the dispatcher asks the broker (<c>mmi.service</c>) whether the service
/// has a worker, so requests for absent services wait without costing a timeout each round.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var titanic = new Titanic("tcp://127.0.0.1:5555", new TitanicStore("/var/lib/titanic"));
/// await titanic.RunAsync(stopping);
/// </code>
/// </example>
public sealed class Titanic
{
    /// <summary>The service that stores a request: [service][body...] in, [status][id] out.</summary>
    public const string RequestService = "titanic.request";

    /// <summary>The service that hands out a reply: [id] in, [status][reply...] out.</summary>
    public const string ReplyService = "titanic.reply";

    /// <summary>The service that forgets a request and its reply: [id] in, [status] out.</summary>
    public const string CloseService = "titanic.close";

    private readonly TitanicOptions _options;
    private readonly Context? _context;
    private readonly ILogger _logger;

    // Wakes the dispatcher when a request is stored; one pending wake is enough, it rescans the store.
    private readonly Channel<bool> _stored = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _running;

    /// <summary>Creates the server; it connects to the broker when it runs.</summary>
    /// <param name="brokerEndpoint">The Majordomo broker's endpoint, such as <c>tcp://127.0.0.1:5555</c>.</param>
    /// <param name="store">Where requests and replies are kept.</param>
    /// <param name="options">Timeouts and worker settings; null for the defaults.</param>
    /// <param name="context">The context of the sockets; null for <see cref="Context.Default"/>.</param>
    /// <exception cref="ArgumentException">The endpoint is empty.</exception>
    /// <exception cref="ArgumentNullException">The store is null.</exception>
    public Titanic(string brokerEndpoint, TitanicStore store, TitanicOptions? options = null, Context? context = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(brokerEndpoint);
        ArgumentNullException.ThrowIfNull(store);
        BrokerEndpoint = brokerEndpoint;
        Store = store;
        _options = options ?? TitanicOptions.Default;
        _context = context;
        _logger = (context ?? Context.Default).LoggerFactory.CreateLogger("Baton.Patterns.Titanic");
    }

    /// <summary>The broker's endpoint.</summary>
    public string BrokerEndpoint { get; }

    /// <summary>Where requests and replies are kept.</summary>
    public TitanicStore Store { get; }

    /// <summary>
    /// Serves the three Titanic services and delivers stored requests (those stored before a restart
    /// first) until <paramref name="cancellationToken"/> is cancelled. A server runs once at a time;
    /// after a run ends it may run again.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: the way to stop the server.</exception>
    /// <exception cref="InvalidOperationException">The server is running already.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("This Titanic server is running already.");
        }

        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var workerOptions = (_options.WorkerOptions ?? MajordomoWorkerOptions.Default) with { Security = _options.Security };
            await using var requests = new MajordomoWorker(BrokerEndpoint, RequestService, workerOptions, _context);
            await using var replies = new MajordomoWorker(BrokerEndpoint, ReplyService, workerOptions, _context);
            await using var closes = new MajordomoWorker(BrokerEndpoint, CloseService, workerOptions, _context);
            Task[] parts =
            [
                requests.RunAsync(StoreRequestAsync, stop.Token),
                replies.RunAsync(ReadReplyAsync, stop.Token),
                closes.RunAsync(CloseAsync, stop.Token),
                DispatchAsync(stop.Token),
            ];

            // A part that fails takes the others down with it: half a Titanic would acknowledge what it cannot deliver.
            var first = await Task.WhenAny(parts).ConfigureAwait(false);
            stop.Cancel();
            try
            {
                await Task.WhenAll(parts).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested && !first.IsFaulted)
            {
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    /// <summary>titanic.request: [service][body...] -> 200 and the id once the request is on the disk.</summary>
    private ValueTask<Message> StoreRequestAsync(Message request, CancellationToken cancellationToken)
    {
        using (request)
        {
            if (request.Count < 2 || request.GetSpan(0).IsEmpty)
            {
                TitanicLog.Malformed(_logger, RequestService, request.Count);
                return ValueTask.FromResult(new Message("400 a request is a service name and at least one body frame"));
            }

            Guid id;
            try
            {
                id = Store.StoreRequest(request);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TitanicLog.StoreFailed(_logger, RequestService, e);
                return ValueTask.FromResult(new Message("500"));
            }

            TitanicLog.Stored(_logger, TitanicStore.FormatId(id), Encoding.UTF8.GetString(request.GetSpan(0)));
            _stored.Writer.TryWrite(true);
            return ValueTask.FromResult(new Message("200", TitanicStore.FormatId(id)));
        }
    }

    /// <summary>titanic.reply: [id] -> 200 and the reply, 300 while pending, 400 for an unknown id.</summary>
    private ValueTask<Message> ReadReplyAsync(Message request, CancellationToken cancellationToken)
    {
        Guid id;
        using (request)
        {
            if (request.Count < 1 || !TitanicStore.TryParseId(request.GetSpan(0), out id))
            {
                return ValueTask.FromResult(new Message("400"));
            }
        }

        try
        {
            if (Store.ReadReply(id) is { } reply)
            {
                return ValueTask.FromResult(reply.Push("200"));
            }

            return ValueTask.FromResult(new Message(Store.HasRequest(id) ? "300" : "400"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            TitanicLog.StoreFailed(_logger, ReplyService, e);
            return ValueTask.FromResult(new Message("500"));
        }
    }

    /// <summary>titanic.close: [id] -> 200, known or not (TSP: the close is idempotent).</summary>
    private ValueTask<Message> CloseAsync(Message request, CancellationToken cancellationToken)
    {
        Guid id;
        using (request)
        {
            if (request.Count < 1 || !TitanicStore.TryParseId(request.GetSpan(0), out id))
            {
                // Not an id this server could have given: unknown, which TSP answers 200.
                return ValueTask.FromResult(new Message("200"));
            }
        }

        try
        {
            Store.Close(id);
            return ValueTask.FromResult(new Message("200"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TitanicLog.StoreFailed(_logger, CloseService, e);
            return ValueTask.FromResult(new Message("500"));
        }
    }

    /// <summary>Rounds over the stored requests without replies, until cancelled.</summary>
    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        // One attempt per round: a request that times out waits for the next round rather than blocking the others.
        await using var client = new MajordomoClient(BrokerEndpoint, new MajordomoClientOptions { Timeout = _options.RequestTimeout, Attempts = 1, Security = _options.Security }, _context);
        var recovered = Store.PendingRequests();
        if (recovered.Count > 0)
        {
            TitanicLog.Recovered(_logger, recovered.Count);
        }

        try
        {
            while (true)
            {
                // Drained before the scan: a request stored during the round wakes the next one.
                while (_stored.Reader.TryRead(out _))
                {
                }

                var undelivered = false;
                foreach (var id in Store.PendingRequests())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    undelivered |= !await TryDeliverAsync(client, id, cancellationToken).ConfigureAwait(false);
                }

                if (undelivered)
                {
                    using var retry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    retry.CancelAfter(_options.RetryInterval);
                    try
                    {
                        await _stored.Reader.WaitToReadAsync(retry.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // The retry interval passed: another round.
                    }
                }
                else
                {
                    await _stored.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping, as the workers do: returns normally.
        }
    }

    /// <summary>Delivers one stored request and stores its reply; false when it must wait for another round.</summary>
    private async Task<bool> TryDeliverAsync(MajordomoClient client, Guid id, CancellationToken cancellationToken)
    {
        var key = TitanicStore.FormatId(id);
        Message request;
        try
        {
            if (Store.ReadRequest(id) is not { } stored)
            {
                // Closed meanwhile: nothing is owed.
                return true;
            }

            request = stored;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            TitanicLog.DispatchFailed(_logger, key, e);
            return false;
        }

        var service = TitanicStore.ServiceOf(request);
        try
        {
            using (var known = await client.RequestAsync("mmi.service", new Message(service), cancellationToken).ConfigureAwait(false))
            {
                if (!known.GetSpan(0).SequenceEqual("200"u8))
                {
                    request.Dispose();
                    TitanicLog.Deferred(_logger, key, $"service '{service}' has no worker");
                    return false;
                }
            }

            request.Pop();
            using var reply = await client.RequestAsync(service, request, cancellationToken).ConfigureAwait(false);
            if (!Store.HasRequest(id))
            {
                // Closed while it was out: a reply stored now would never be collected.
                return true;
            }

            Store.StoreReply(id, reply);
            TitanicLog.Replied(_logger, key, service);
            return true;
        }
        catch (MajordomoTimeoutException)
        {
            TitanicLog.Deferred(_logger, key, $"no reply from '{service}' within {(long)_options.RequestTimeout.TotalMilliseconds} ms");
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TitanicLog.DispatchFailed(_logger, key, e);
            return false;
        }
        finally
        {
            // Does nothing once the client took it.
            request.Dispose();
        }
    }
}
