using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Transports;

/// <summary>A bind that fails says why in words, naming the real cause rather than the socket error's text.</summary>
public sealed class BindFailureTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-bind-");
    private readonly Context _context = new();

    public void Dispose()
    {
        _context.Dispose();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task IpcBind_InAMissingFolder_SaysTheFolderDoesNotExist()
    {
        var missing = Path.Combine(_folder.FullName, "no-such-folder");
        var endpoint = $"ipc://{Path.Combine(missing, "feed.ipc")}";
        await using var socket = new PullSocket(context: _context);
        var thrown = Assert.Throws<InvalidEndpointException>(() => socket.Bind(endpoint));
        Assert.Equal(endpoint, thrown.Endpoint);
        Assert.Contains($"the folder '{missing}' does not exist", thrown.Message);
        Assert.DoesNotContain("assign", thrown.Message);
    }

    [Fact]
    public async Task TcpBind_ToAnAddressOfAnotherMachine_SaysItIsNotLocal()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): reserved for documentation, never a local address.
        await using var socket = new PullSocket(context: _context);
        var thrown = Assert.Throws<InvalidEndpointException>(() => socket.Bind("tcp://192.0.2.1:5555"));
        Assert.Contains("192.0.2.1 is not an address of this machine", thrown.Message);
    }
}
