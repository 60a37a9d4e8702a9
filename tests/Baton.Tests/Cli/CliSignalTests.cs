using System.Diagnostics;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Cli;

/// <summary>Ctrl+C (SIGINT) and SIGTERM end every command promptly, with the exit code a shell reports (130, 143).</summary>
public sealed class CliSignalTests : IDisposable
{
    /// <summary>Far more than a prompt close takes, far less than "for ever".</summary>
    private static readonly TimeSpan s_prompt = TimeSpan.FromSeconds(5);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-cli-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    public async Task Send_ToAPeerThatNeverComes_EndsPromptlyOnASignal(string signal, int exitCode)
    {
        // The message is queued for a peer that is not there; closing lingers for ever to deliver it.
        await using var send = CliProcess.Start("send", "--verbose", "--type", "push", "--connect", Ipc("nobody"), "lost");
        await send.WaitForStderrAsync("could not connect");
        var clock = Stopwatch.StartNew();
        Signal(send, signal);
        Assert.Equal(exitCode, await send.WaitForExitAsync());
        Assert.True(clock.Elapsed < s_prompt, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task SendWithBind_WaitingForAPeer_EndsOnCtrlC_AndRemovesItsIpcFile()
    {
        var path = Path.Combine(_folder.FullName, "waiting.ipc");
        await using var send = CliProcess.Start("send", "--type", "push", "--bind", $"ipc://{path}", "never read");
        await WaitForFileAsync(path);
        var clock = Stopwatch.StartNew();
        send.Interrupt();
        Assert.Equal(130, await send.WaitForExitAsync());
        Assert.True(clock.Elapsed < s_prompt, $"took {clock.Elapsed}");
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Send_ReadingStandardInput_EndsOnSigterm()
    {
        await using var send = CliProcess.Start("send", "--verbose", "--type", "push", "--connect", Ipc("nobody"));
        await send.WaitForStderrAsync("could not connect");
        send.Terminate();
        Assert.Equal(143, await send.WaitForExitAsync());
    }

    [Fact]
    public async Task Recv_InterruptedBeforeItsCount_ExitsWith130()
    {
        var path = Path.Combine(_folder.FullName, "recv.ipc");
        await using var recv = CliProcess.Start("recv", "--type", "pull", "--bind", $"ipc://{path}", "--count", "5");
        await using var push = new PushSocket();
        push.Connect($"ipc://{path}");
        await push.SendOrFail(new Message("one"));
        Assert.Equal("one", await recv.ReadLineAsync());
        recv.Interrupt();
        Assert.Equal(130, await recv.WaitForExitAsync());
        Assert.False(File.Exists(path));
    }

    private string Ipc(string name) => $"ipc://{Path.Combine(_folder.FullName, name)}";

    private static void Signal(CliProcess process, string signal)
    {
        if (signal == "INT")
        {
            process.Interrupt();
        }
        else
        {
            process.Terminate();
        }
    }

    /// <summary>Waits for a bind to put its ipc file in place (it is renamed there from a temporary name).</summary>
    private static async Task WaitForFileAsync(string path)
    {
        var appeared = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!);
        watcher.Created += (_, e) => Seen(e.FullPath);
        watcher.Renamed += (_, e) => Seen(e.FullPath);
        watcher.EnableRaisingEvents = true;
        if (File.Exists(path))
        {
            return;
        }

        await appeared.Task.WaitAsync(TestUtil.Timeout);

        void Seen(string created)
        {
            if (created == path)
            {
                appeared.TrySetResult();
            }
        }
    }
}
