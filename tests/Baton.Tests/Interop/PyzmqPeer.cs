using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Tests.Interop;

/// <summary>
/// A libzmq socket in a pyzmq child process (peer.py), driven one JSON command at a time. Closing
/// its stdin ends it; dispose kills it if it does not end by itself.
/// </summary>
internal sealed class PyzmqPeer : IAsyncDisposable
{
    private static readonly Lazy<string> s_python = new(FindPython);
    private readonly Process _process;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<string> _ipcFiles = [];

    private PyzmqPeer(Process process)
    {
        _process = process;
    }

    /// <summary>Starts a peer with a socket of <paramref name="type"/> and libzmq options (names as in zmq, e.g. IDENTITY).</summary>
    public static async Task<PyzmqPeer> StartAsync(string type, Dictionary<string, object>? options = null)
    {
        var info = new ProcessStartInfo(s_python.Value)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Interop", "peer.py"));
        var peer = new PyzmqPeer(Process.Start(info)!);
        var ready = await peer.ReadAsync();
        if (ready["ready"] is null)
        {
            throw new InvalidOperationException("peer.py did not start: " + ready.ToJsonString());
        }

        await peer.CallAsync(new JsonObject { ["op"] = "socket", ["type"] = type, ["options"] = JsonSerializer.SerializeToNode(options ?? []) });
        return peer;
    }

    public async Task<string> BindAsync(string endpoint)
    {
        var bound = (string)(await CallAsync(new JsonObject { ["op"] = "bind", ["endpoint"] = endpoint }))["endpoint"]!;
        if (bound.StartsWith("ipc://", StringComparison.Ordinal))
        {
            // libzmq leaves its ipc file behind when the process ends; the test removes it.
            _ipcFiles.Add(bound["ipc://".Length..]);
        }

        return bound;
    }

    public Task ConnectAsync(string endpoint) => CallAsync(new JsonObject { ["op"] = "connect", ["endpoint"] = endpoint });

    /// <summary>Sends, retrying while libzmq says the route or room is not there yet (ROUTER_MANDATORY, HWM).</summary>
    public Task SendAsync(params byte[][] frames)
    {
        var array = new JsonArray();
        foreach (var frame in frames)
        {
            array.Add(Convert.ToHexString(frame));
        }

        return CallAsync(new JsonObject { ["op"] = "send", ["frames"] = array });
    }

    /// <summary>Sends a frame of <paramref name="size"/> copies of <paramref name="value"/> without shipping it through the pipe.</summary>
    public Task SendRepeatedAsync(byte value, int size)
        => CallAsync(new JsonObject { ["op"] = "send", ["frames"] = new JsonArray(new JsonObject { ["byte"] = value, ["repeat"] = size }) });

    /// <summary>Receives one message; large frames come back as "len:sha256".</summary>
    public async Task<string[]> ReceiveAsync(int timeoutMs = 10_000)
        => await TryReceiveAsync(timeoutMs) ?? throw new TimeoutException($"the pyzmq peer received nothing in {timeoutMs} ms");

    /// <summary>Receives one message, or null when none came within the timeout.</summary>
    public async Task<string[]?> TryReceiveAsync(int timeoutMs)
    {
        var answer = await CallAsync(new JsonObject { ["op"] = "recv", ["timeout"] = timeoutMs }, allowTimeout: true);
        if (answer["error"] is not null)
        {
            return null;
        }

        var frames = answer["frames"]!.AsArray();
        var result = new string[frames.Count];
        for (var i = 0; i < frames.Count; i++)
        {
            result[i] = frames[i] is JsonObject big
                ? $"{(int)big["len"]!}:{(string)big["sha256"]!}"
                : System.Text.Encoding.Latin1.GetString(Convert.FromHexString((string)frames[i]!));
        }

        return result;
    }

    /// <summary>Receives up to <paramref name="count"/> messages; returns how many came before a quiet spell, and the last.</summary>
    public async Task<(int Count, string? Last)> CountAsync(int count, int quietMs = 10_000)
    {
        var answer = await CallAsync(new JsonObject { ["op"] = "count", ["n"] = count, ["timeout"] = quietMs });
        var last = (string?)answer["last"];
        return ((int)answer["count"]!, last is null ? null : System.Text.Encoding.Latin1.GetString(Convert.FromHexString(last)));
    }

    /// <summary>Starts sending <paramref name="count"/> messages ("0", "1", ...), one every <paramref name="intervalMs"/>, in a thread of the peer's own; see <see cref="JoinAsync"/>.</summary>
    public Task StreamAsync(int count, int intervalMs) => CallAsync(new JsonObject { ["op"] = "stream", ["n"] = count, ["interval"] = intervalMs });

    /// <summary>Starts receiving up to <paramref name="count"/> messages in a thread of the peer's own, until a quiet spell; see <see cref="JoinAsync"/>.</summary>
    public Task DrainAsync(int count, int quietMs) => CallAsync(new JsonObject { ["op"] = "drain", ["n"] = count, ["timeout"] = quietMs });

    /// <summary>Waits for what <see cref="StreamAsync"/> or <see cref="DrainAsync"/> started: how many messages it sent or received, and the last received.</summary>
    public async Task<(int Count, string? Last)> JoinAsync()
    {
        var answer = await CallAsync(new JsonObject { ["op"] = "join" });
        var last = (string?)answer["last"];
        return ((int)answer["count"]!, last is null ? null : System.Text.Encoding.Latin1.GetString(Convert.FromHexString(last)));
    }

    public Task SubscribeAsync(byte[] prefix) => CallAsync(new JsonObject { ["op"] = "subscribe", ["prefix"] = Convert.ToHexString(prefix) });

    public Task UnsubscribeAsync(byte[] prefix) => CallAsync(new JsonObject { ["op"] = "unsubscribe", ["prefix"] = Convert.ToHexString(prefix) });

    /// <summary>
    /// Starts a pyzmq ThreadAuthenticator (a ZAP handler) in the peer's context, before its socket binds or
    /// connects: <paramref name="allow"/> or <paramref name="deny"/> addresses, PLAIN <paramref name="passwords"/>,
    /// CURVE client keys from the NAME.key files in <paramref name="curveFolder"/> ("*": any key), for <paramref name="domain"/>.
    /// </summary>
    public Task StartAuthenticatorAsync(string[]? allow = null, string[]? deny = null, Dictionary<string, string>? passwords = null, string? curveFolder = null, string domain = "*")
        => CallAsync(new JsonObject
        {
            ["op"] = "auth",
            ["domain"] = domain,
            ["allow"] = JsonSerializer.SerializeToNode(allow ?? []),
            ["deny"] = JsonSerializer.SerializeToNode(deny ?? []),
            ["plain"] = passwords is null ? null : JsonSerializer.SerializeToNode(passwords),
            ["curve"] = curveFolder,
        });

    /// <summary>Starts a pyzmq ThreadAuthenticator in the peer's context, letting in CURVE clients whose NAME.key file is in <paramref name="curveKeyFolder"/> ("*": any).</summary>
    public Task StartCurveAuthenticatorAsync(string curveKeyFolder) => StartAuthenticatorAsync(curveFolder: curveKeyFolder);

    /// <summary>Counts of libzmq monitor events seen so far (CONNECTED, ACCEPTED, DISCONNECTED, HANDSHAKE_SUCCEEDED, HANDSHAKE_FAILED_AUTH/PROTOCOL/NO_DETAIL).</summary>
    public async Task<Dictionary<string, int>> EventsAsync()
    {
        var answer = await CallAsync(new JsonObject { ["op"] = "events" });
        var result = new Dictionary<string, int>();
        foreach (var (key, value) in answer)
        {
            result[key] = (int)value!;
        }

        return result;
    }

    private async Task<JsonObject> CallAsync(JsonObject command, bool allowTimeout = false)
    {
        await _gate.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command.ToJsonString());
            await _process.StandardInput.FlushAsync();
            var answer = await ReadAsync();
            if (answer["error"] is { } error && !(allowTimeout && (string?)error == "timeout"))
            {
                throw new InvalidOperationException($"pyzmq peer: {error} (command {command["op"]})");
            }

            return answer;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<JsonObject> ReadAsync()
    {
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))
            ?? throw new InvalidOperationException("the pyzmq peer exited");
        return JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>Kills the peer at once, as a crash would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

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

        await KillAsync();
        _process.Dispose();
        foreach (var file in _ipcFiles)
        {
            File.Delete(file);
        }
    }

    /// <summary>Debian's interpreter first: a python3 earlier on PATH may not see python3-zmq.</summary>
    private static string FindPython()
    {
        string[] candidates = ["/usr/bin/python3", "python3", "python"];
        foreach (var candidate in candidates)
        {
            try
            {
                var info = new ProcessStartInfo(candidate, ["-c", "import zmq"]) { UseShellExecute = false, RedirectStandardError = true };
                using var probe = Process.Start(info)!;
                probe.WaitForExit(10_000);
                if (probe.HasExited && probe.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        throw new InvalidOperationException("No Python interpreter can 'import zmq': install Debian's python3-zmq (scripts/test does).");
    }
}
