using System.Net.Sockets;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

/// <summary>Who owns an ipc path: live listeners keep it, stale files are taken over, nobody deletes another's file.</summary>
public sealed class IpcEndpointTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-ipc-");
    private readonly Context _context = new();

    public void Dispose()
    {
        _context.Dispose();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task SecondBind_ToAPathALiveSocketHolds_ThrowsEndpointInUse_AndTheFirstKeepsWorking()
    {
        var path = PathFor("live");
        await using var first = new PullSocket(context: _context);
        first.Bind($"ipc://{path}");
        await using (var second = new PullSocket(context: _context))
        {
            var thrown = Assert.Throws<EndpointInUseException>(() => second.Bind($"ipc://{path}"));
            Assert.Equal($"ipc://{path}", thrown.Endpoint);
        }

        // Neither the refused bind nor closing the refused socket touched the first one's file.
        Assert.True(File.Exists(path));
        await AssertReachable(first, $"ipc://{path}");
    }

    [Fact]
    public async Task Bind_TakesOverAPlainFileLeftAtThePath()
    {
        var path = PathFor("plain");
        await File.WriteAllTextAsync(path, "left behind");
        await using var pull = new PullSocket(context: _context);
        pull.Bind($"ipc://{path}");
        await AssertReachable(pull, $"ipc://{path}");
    }

    [Fact]
    public async Task Bind_TakesOverTheSocketFileOfAListenerThatDiedWithoutClosing()
    {
        var path = PathFor("abandoned");

        // What a crashed process leaves: a bound socket file that nobody listens on any more. (.NET
        // deletes the file it bound when the socket is disposed, so the file is renamed into place.)
        using (var dead = new Socket(AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, ProtocolType.Unspecified))
        {
            var bound = PathFor("dead");
            dead.Bind(new UnixDomainSocketEndPoint(bound));
            dead.Listen();
            File.Move(bound, path);
        }

        Assert.True(File.Exists(path));
        await using var pull = new PullSocket(context: _context);
        pull.Bind($"ipc://{path}");
        await AssertReachable(pull, $"ipc://{path}");
    }

    [Fact]
    public async Task ClosingASocketWhosePathWasTakenOver_LeavesTheNewOwnersFile()
    {
        var path = PathFor("taken");
        var first = new PullSocket(context: _context);
        first.Bind($"ipc://{path}");

        // Someone removes the first socket's file, and a second socket binds the path afresh.
        File.Delete(path);
        await using var second = new PullSocket(context: _context);
        second.Bind($"ipc://{path}");
        await first.DisposeAsync();

        Assert.True(File.Exists(path));
        await AssertReachable(second, $"ipc://{path}");
    }

    [Fact]
    public async Task APathTooLongForATemporaryNameBesideIt_IsStillRefusedWhileLive_AndRemovedOnClose()
    {
        // sun_path holds 107 bytes: leave room for a one-letter name but not for the temporary one.
        var folder = _folder.FullName;
        while (folder.Length < 100)
        {
            folder = Path.Combine(folder, new string('d', Math.Min(20, 100 - folder.Length)));
        }

        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "a");
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(path) <= 107, path);
        var first = new PullSocket(context: _context);
        first.Bind($"ipc://{path}");
        await using (var second = new PullSocket(context: _context))
        {
            Assert.Throws<EndpointInUseException>(() => second.Bind($"ipc://{path}"));
        }

        await AssertReachable(first, $"ipc://{path}");
        await first.DisposeAsync();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Unbind_RemovesTheFile_AndThePathCanBeBoundAgain()
    {
        var path = PathFor("unbind");
        await using var pull = new PullSocket(context: _context);
        var endpoint = pull.Bind($"ipc://{path}");
        Assert.True(File.Exists(path));
        pull.Unbind(endpoint);
        Assert.False(File.Exists(path));

        await using var again = new PullSocket(context: _context);
        again.Bind(endpoint);
        await AssertReachable(again, endpoint);
    }

    [Fact]
    public async Task RandomPath_IsBoundReachableAndRemovedOnClose()
    {
        var pull = new PullSocket(context: _context);
        var endpoint = pull.Bind("ipc://*");
        Assert.StartsWith("ipc://", endpoint);
        Assert.NotEqual("ipc://*", endpoint);
        var path = endpoint["ipc://".Length..];
        Assert.True(File.Exists(path));
        await AssertReachable(pull, endpoint);
        await pull.DisposeAsync();
        Assert.False(File.Exists(path));
    }

    private string PathFor(string name) => Path.Combine(_folder.FullName, name + ".ipc");

    private async Task AssertReachable(PullSocket pull, string endpoint)
    {
        await using var push = new PushSocket(new SocketOptions { Linger = TimeSpan.Zero }, _context);
        push.Connect(endpoint);
        await push.SendOrFail(new Message("ping"));
        using var message = await pull.ReceiveOrFail();
        Assert.Equal("ping", message[0].ToString());
    }
}
