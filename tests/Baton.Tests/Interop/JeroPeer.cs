using System.Diagnostics;
using System.Text;

namespace Baton.Tests.Interop;

/// <summary>
/// A JeroMQ 0.3.6 socket (a ZMTP 2.0 peer, Debian's libjeromq-java) in a Java child process
/// (jeromq/JeroPeer.java), driven one line at a time. Closing its stdin ends it; dispose kills it if
/// it does not end by itself. Java and JeroMQ missing is a failure, not a skip: scripts/deps installs them.
/// </summary>
internal sealed class JeroPeer : IAsyncDisposable
{
    private const string JeroMqJar = "/usr/share/java/jeromq.jar";

    // Compiled once per test run, into the test output folder.
    private static readonly Lazy<Task<string>> s_classes = new(CompileAsync);
    private readonly Process _process;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private JeroPeer(Process process)
    {
        _process = process;
    }

    /// <summary>Starts a peer with a socket of <paramref name="type"/>, an optional identity and ROUTER_MANDATORY.</summary>
    public static async Task<JeroPeer> StartAsync(string type, byte[]? identity = null, bool routerMandatory = false)
    {
        var classes = await s_classes.Value;
        var info = new ProcessStartInfo(Tool("java"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };

        // A quick JIT and a small heap: the peer lives for one test.
        foreach (var argument in new[] { "-XX:TieredStopAtLevel=1", "-Xmx256m", "-cp", $"{classes}:{JeroMqJar}", "JeroPeer" })
        {
            info.ArgumentList.Add(argument);
        }

        var peer = new JeroPeer(Process.Start(info)!);
        try
        {
            var ready = await peer.ReadLineAsync();
            if (ready != "ready")
            {
                throw new InvalidOperationException("JeroPeer did not start: " + ready);
            }

            var command = new StringBuilder("socket ").Append(type);
            if (identity is not null)
            {
                command.Append(' ').Append(Word(identity));
            }

            if (routerMandatory)
            {
                command.Append(" mandatory");
            }

            await peer.CallAsync(command.ToString());
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }

        return peer;
    }

    /// <summary>Binds; "tcp://127.0.0.1:*" picks a port. Returns the bound endpoint.</summary>
    public async Task<string> BindAsync(string endpoint) => (await CallAsync("bind " + endpoint))["ok ".Length..];

    public Task ConnectAsync(string endpoint) => CallAsync("connect " + endpoint);

    /// <summary>Sends a message, retrying while JeroMQ has no route or room yet.</summary>
    public Task SendAsync(params byte[][] frames) => CallAsync("send " + string.Join(' ', frames.Select(Word)));

    /// <summary>Sends a one-frame message of <paramref name="size"/> copies of <paramref name="value"/> without shipping it through the pipe.</summary>
    public Task SendRepeatedAsync(byte value, int size) => CallAsync($"send r{value}:{size}");

    public Task SubscribeAsync(byte[] prefix) => CallAsync("subscribe " + Word(prefix));

    /// <summary>Receives one message, or null when none came within the timeout; frames over 64 KiB come back as "h{length}:{sha256}".</summary>
    public async Task<string[]?> TryReceiveAsync(int timeoutMs)
    {
        var answer = await CallAsync($"recv {timeoutMs}");
        if (answer == "timeout")
        {
            return null;
        }

        return answer["frames ".Length..].Split(' ')
            .Select(word => word[0] == 'x' ? Encoding.Latin1.GetString(Convert.FromHexString(word.AsSpan(1))) : word[1..])
            .ToArray();
    }

    public async Task<string[]> ReceiveAsync(int timeoutMs = 10_000)
        => await TryReceiveAsync(timeoutMs) ?? throw new TimeoutException($"the JeroMQ peer received nothing in {timeoutMs} ms");

    private static string Word(byte[] frame) => "x" + Convert.ToHexString(frame);

    private async Task<string> CallAsync(string command)
    {
        await _gate.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
            var answer = await ReadLineAsync();
            if (answer.StartsWith("error", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"JeroMQ peer: {answer} (command {command.Split(' ')[0]})");
            }

            return answer;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<string> ReadLineAsync()
        => await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("the JeroMQ peer exited");

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static async Task<string> CompileAsync()
    {
        if (!File.Exists(JeroMqJar))
        {
            throw new InvalidOperationException($"{JeroMqJar} is missing: install Debian's libjeromq-java (scripts/deps does).");
        }

        var source = Path.Combine(AppContext.BaseDirectory, "Interop", "jeromq", "JeroPeer.java");
        var classes = Path.Combine(AppContext.BaseDirectory, "Interop", "jeromq", "classes");
        Directory.CreateDirectory(classes);
        var info = new ProcessStartInfo(Tool("javac"), ["-nowarn", "-d", classes, "-cp", JeroMqJar, source])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var javac = Process.Start(info)!;
        var errors = javac.StandardError.ReadToEndAsync();
        var output = javac.StandardOutput.ReadToEndAsync();
        await javac.WaitForExitAsync();
        if (javac.ExitCode != 0)
        {
            throw new InvalidOperationException($"javac failed ({javac.ExitCode}): {await errors}{await output}");
        }

        return classes;
    }

    /// <summary>A JDK tool on PATH, else under JAVA_HOME, else a clear failure.</summary>
    private static string Tool(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append(Path.Combine(Environment.GetEnvironmentVariable("JAVA_HOME") ?? "/usr", "bin")))
        {
            var path = Path.Combine(directory, name);
            if (directory.Length > 0 && File.Exists(path))
            {
                return path;
            }
        }

        throw new InvalidOperationException($"'{name}' was not found: install a JDK (Debian's default-jdk-headless; scripts/deps does).");
    }
}

/// <summary>A JeroMQ socket as one end of an interop pairing.</summary>
internal sealed class JeroSide(JeroPeer peer, string type) : InteropSide(type)
{
    public JeroPeer Peer { get; } = peer;

    public override Task<string> BindAsync(string transport)
        => transport == "tcp" ? Peer.BindAsync("tcp://127.0.0.1:*") : throw new NotSupportedException("JeroMQ 0.3.6 has no ipc transport");

    public override Task ConnectAsync(string endpoint) => Peer.ConnectAsync(endpoint);

    public override Task SendAsync(params string[] frames) => Peer.SendAsync(frames.Select(Bytes).ToArray());

    public override Task<string[]> ReceiveAsync() => Peer.ReceiveAsync();

    public override Task<string[]?> TryReceiveAsync(TimeSpan timeout) => Peer.TryReceiveAsync((int)timeout.TotalMilliseconds);

    public override Task SubscribeAsync(string prefix)
        => Type == "XSUB" ? SendAsync("\u0001" + prefix) : Peer.SubscribeAsync(Bytes(prefix));

    public override ValueTask DisposeAsync() => Peer.DisposeAsync();
}
