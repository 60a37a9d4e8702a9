using System.Text;
using Baton.Messages;
using Baton.Sockets;

namespace Baton.Tests.Interop;

/// <summary>One end of an interop pairing, Baton or libzmq, behind the same few verbs; frames are Latin-1 text.</summary>
internal abstract class InteropSide : IAsyncDisposable
{
    protected InteropSide(string type)
    {
        Type = type;
    }

    public string Type { get; }

    public abstract Task<string> BindAsync(string transport);

    public abstract Task ConnectAsync(string endpoint);

    public abstract Task SendAsync(params string[] frames);

    public abstract Task<string[]> ReceiveAsync();

    public abstract Task<string[]?> TryReceiveAsync(TimeSpan timeout);

    /// <summary>SUB subscribes; XSUB sends the subscription message, as libzmq applications do.</summary>
    public abstract Task SubscribeAsync(string prefix);

    public abstract ValueTask DisposeAsync();

    protected static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);
}

internal sealed class BatonSide(ZmqSocket socket) : InteropSide(SocketTypes(socket))
{
    public ZmqSocket Socket { get; } = socket;

    public override Task<string> BindAsync(string transport)
        => Task.FromResult(Socket.Bind(transport == "tcp" ? "tcp://127.0.0.1:0" : TestUtil.Endpoint("ipc")));

    public override Task ConnectAsync(string endpoint)
    {
        Socket.Connect(endpoint);
        return Task.CompletedTask;
    }

    public override async Task SendAsync(params string[] frames)
    {
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);
        while (true)
        {
            var message = new Message();
            foreach (var frame in frames)
            {
                message.Append(Bytes(frame));
            }

            try
            {
                await Socket.SendAsync(message, cancel.Token);
                return;
            }
            catch (UnroutableMessageException)
            {
                // ROUTER with RouterMandatory: the peer's handshake has not finished yet.
                await Task.Delay(10, cancel.Token);
            }
        }
    }

    public override async Task<string[]> ReceiveAsync() => Strings(await Socket.ReceiveOrFail());

    public override Task<string[]?> TryReceiveAsync(TimeSpan timeout)
        => Task.FromResult(Socket.TryReceive(out var message, timeout) ? Strings(message) : null);

    public override Task SubscribeAsync(string prefix)
    {
        if (Socket is XSubSocket)
        {
            return SendAsync("\u0001" + prefix);
        }

        ((SubSocket)Socket).Subscribe(Bytes(prefix));
        return Task.CompletedTask;
    }

    public override ValueTask DisposeAsync() => Socket.DisposeAsync();

    private static string[] Strings(Message message)
    {
        var result = new string[message.Count];
        for (var i = 0; i < message.Count; i++)
        {
            result[i] = Encoding.Latin1.GetString(message[i].Span);
        }

        return result;
    }

    private static string SocketTypes(ZmqSocket socket) => socket.Type.ToString().ToUpperInvariant();
}

internal sealed class LibzmqSide(PyzmqPeer peer, string type) : InteropSide(type)
{
    public PyzmqPeer Peer { get; } = peer;

    public override Task<string> BindAsync(string transport)
        => Peer.BindAsync(transport == "tcp" ? "tcp://127.0.0.1:*" : TestUtil.Endpoint("ipc"));

    public override Task ConnectAsync(string endpoint) => Peer.ConnectAsync(endpoint);

    public override Task SendAsync(params string[] frames)
    {
        var bytes = new byte[frames.Length][];
        for (var i = 0; i < frames.Length; i++)
        {
            bytes[i] = Bytes(frames[i]);
        }

        return Peer.SendAsync(bytes);
    }

    public override Task<string[]> ReceiveAsync() => Peer.ReceiveAsync();

    public override Task<string[]?> TryReceiveAsync(TimeSpan timeout) => Peer.TryReceiveAsync((int)timeout.TotalMilliseconds);

    public override Task SubscribeAsync(string prefix)
        => Type == "XSUB" ? SendAsync("\u0001" + prefix) : Peer.SubscribeAsync(Bytes(prefix));

    public override ValueTask DisposeAsync() => Peer.DisposeAsync();
}
