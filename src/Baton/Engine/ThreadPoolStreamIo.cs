using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Baton.Internal;
using NetSocket = System.Net.Sockets.Socket;

namespace Baton.Engine;

/// <summary>The connection's waits on .NET's own machinery: socket async operations, Task.Delay and Timer, all completed on the thread pool.</summary>
internal sealed class ThreadPoolStreamIo(NetSocket socket, CancellationToken abort) : StreamIo
{
    public override IDispatcher? Dispatcher => null;

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => socket.ReceiveAsync(buffer, SocketFlags.None, abort);

    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data) => socket.SendAsync(data, SocketFlags.None, abort);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask YieldAsync() => await Task.Yield();

    public override ValueTask DelayAsync(TimeSpan delay) => new(Task.Delay(delay, abort));

    public override IDisposable StartTimer(TimeSpan due, Action<object?> callback, object? state)
        => new Timer(new TimerCallback(callback), state, due, Timeout.InfiniteTimeSpan);

    public override void Dispose()
    {
    }
}
