using Baton.Messages;
using Baton.Sockets;

namespace Baton.Tests;

/// <summary>Shared helpers: bounded waits instead of sleeps, and unique endpoints per transport.</summary>
internal static class TestUtil
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Where the tests' ipc files go: a folder of this test run's own, removed when the run ends, so a
    /// socket file left by a peer that was killed (a CLI child, a pyzmq peer) does not outlive the run.
    /// </summary>
    private static readonly Lazy<string> IpcFolder = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("baton-tests-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A child still holding a file: the temp folder's own cleanup takes it later.
            }
        };
        return folder;
    });

    public static string Endpoint(string transport) => transport switch
    {
        "tcp" => "tcp://127.0.0.1:0",
        "ipc" => $"ipc://{Path.Combine(IpcFolder.Value, $"{Guid.NewGuid():N}.ipc")}",
        "inproc" => $"inproc://test-{Guid.NewGuid():N}",
        _ => throw new ArgumentOutOfRangeException(nameof(transport)),
    };

    /// <summary>Receives one message or fails the test after the timeout.</summary>
    public static async Task<Message> ReceiveOrFail(this ZmqSocket socket, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            return await socket.ReceiveAsync(cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"{socket} received nothing within {(timeout ?? Timeout).TotalSeconds} s");
        }
    }

    public static async Task SendOrFail(this ZmqSocket socket, Message message)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        await socket.SendAsync(message, cancel.Token);
    }

    /// <summary>Sends until the peer receives one (for PUB/SUB, where early messages are lost by design).</summary>
    public static async Task<Message> SendUntilReceived(ZmqSocket sender, ZmqSocket receiver, Func<Message> make)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        while (true)
        {
            await sender.SendAsync(make(), cancel.Token);
            if (receiver.TryReceive(out var message, TimeSpan.FromMilliseconds(50)))
            {
                return message;
            }

            cancel.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// The first message whose second frame is not <paramref name="skipped"/>, disposing those that are: after
    /// <see cref="SendUntilReceived"/>, the sends that went out while the subscription travelled still arrive.
    /// </summary>
    public static async Task<Message> ReceiveSkipping(ZmqSocket receiver, string skipped)
    {
        while (true)
        {
            var message = await receiver.ReceiveOrFail();
            if (message.Count < 2 || message[1].ToString() != skipped)
            {
                return message;
            }

            message.Dispose();
        }
    }

    /// <summary>Sends until <paramref name="received"/> (a foreign receiver's poll) reports a message.</summary>
    public static async Task<bool> SendUntilReceivedBy(ZmqSocket sender, Func<Message> make, Func<bool> received)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        while (true)
        {
            await sender.SendAsync(make(), cancel.Token);
            if (received())
            {
                return true;
            }

            cancel.Token.ThrowIfCancellationRequested();
        }
    }

    public static SocketOptions Quick => new() { Linger = TimeSpan.FromSeconds(5) };

    /// <summary>A loopback port nobody listens on (taken and released again).</summary>
    public static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Reads monitor events until one that <paramref name="match"/> accepts; fails at the end of the stream.</summary>
    public static async Task<SocketEvent> NextEventAsync(this IAsyncEnumerator<SocketEvent> events, Func<SocketEvent, bool>? match = null)
    {
        while (true)
        {
            if (!await events.MoveNextAsync())
            {
                throw new InvalidOperationException("the monitor stream ended");
            }

            if (match is null || match(events.Current))
            {
                return events.Current;
            }
        }
    }

    /// <summary>A REP server that sends each request back, until <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task EchoAsync(RepSocket server, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var request = await server.ReceiveAsync(cancellationToken);
                await server.SendAsync(request, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
