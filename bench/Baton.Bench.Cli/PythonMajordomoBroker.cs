using System.Diagnostics;

namespace Baton.Bench.Cli;

/// <summary>
/// The reference for <c>baton bench broker</c>: a Majordomo broker in Python (pyzmq) shaped as the
/// ZeroMQ guide's mdbroker.py (one ROUTER, a poll then one message per turn, services with queues and
/// LRU worker lists, heartbeats), written here from 7/MDP. Run as a child process from a temporary file.
/// </summary>
internal sealed class PythonMajordomoBroker : IAsyncDisposable
{
    private const string Script = """
        import sys, time, zmq

        CLIENT, WORKER = b"MDPC01", b"MDPW01"
        READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"
        HEARTBEAT_MS, LIVENESS = 2500, 3

        class Service:
            def __init__(self, name):
                self.name, self.requests, self.waiting = name, [], []

        class Worker:
            def __init__(self, identity):
                self.identity, self.service, self.expiry = identity, None, 0

        ctx = zmq.Context()
        sock = ctx.socket(zmq.ROUTER)
        sock.linger = 0
        port = sock.bind_to_random_port("tcp://127.0.0.1")
        print(f"tcp://127.0.0.1:{port}", flush=True)
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        services, workers, waiting = {}, {}, []

        def service_of(name):
            if name not in services:
                services[name] = Service(name)
            return services[name]

        def send_worker(worker, command, extra=None):
            sock.send_multipart([worker.identity, b"", WORKER, command] + (extra or []))

        def delete(worker, disconnect):
            if disconnect:
                send_worker(worker, DISCONNECT)
            if worker.service is not None and worker in worker.service.waiting:
                worker.service.waiting.remove(worker)
            if worker in waiting:
                waiting.remove(worker)
            workers.pop(worker.identity, None)

        def dispatch(service):
            while service.waiting and service.requests:
                worker = service.waiting.pop(0)
                waiting.remove(worker)
                send_worker(worker, REQUEST, service.requests.pop(0))

        def ready(worker):
            waiting.append(worker)
            worker.service.waiting.append(worker)
            worker.expiry = time.time() + HEARTBEAT_MS * LIVENESS / 1000
            dispatch(worker.service)

        def from_client(sender, frames):
            service, body = frames[0], frames[1:]
            if service.startswith(b"mmi."):
                code = b"501"
                if service == b"mmi.service":
                    named = services.get(body[-1]) if body else None
                    code = b"200" if named is not None and any(w.service is named for w in workers.values()) else b"404"
                sock.send_multipart([sender, b"", CLIENT, service, code])
                return
            target = service_of(service)
            target.requests.append([sender, b""] + body)
            dispatch(target)

        def from_worker(sender, frames):
            command, rest = frames[0], frames[1:]
            known = sender in workers
            worker = workers.get(sender) or Worker(sender)
            if command == READY:
                if known or not rest or rest[0].startswith(b"mmi."):
                    delete(worker, True)
                else:
                    workers[sender] = worker
                    worker.service = service_of(rest[0])
                    ready(worker)
            elif command == REPLY:
                if known:
                    client, body = rest[0], rest[2:]
                    sock.send_multipart([client, b"", CLIENT, worker.service.name] + body)
                    ready(worker)
                else:
                    delete(worker, True)
            elif command == HEARTBEAT:
                if known:
                    worker.expiry = time.time() + HEARTBEAT_MS * LIVENESS / 1000
                else:
                    delete(worker, True)
            elif command == DISCONNECT:
                delete(worker, False)

        heartbeat_at = time.time() + HEARTBEAT_MS / 1000
        while True:
            if dict(poller.poll(HEARTBEAT_MS)):
                frames = sock.recv_multipart()
                if len(frames) >= 4 and frames[1] == b"":
                    sender, header = frames[0], frames[2]
                    if header == CLIENT and len(frames) >= 5:
                        from_client(sender, frames[3:])
                    elif header == WORKER:
                        from_worker(sender, frames[3:])
            if time.time() > heartbeat_at:
                now = time.time()
                for worker in [w for w in waiting if w.expiry < now]:
                    delete(worker, False)
                for worker in waiting:
                    send_worker(worker, HEARTBEAT)
                heartbeat_at = time.time() + HEARTBEAT_MS / 1000
        """;

    private readonly Process _process;
    private readonly string _scriptPath;

    private PythonMajordomoBroker(Process process, string scriptPath, string endpoint)
    {
        _process = process;
        _scriptPath = scriptPath;
        Endpoint = endpoint;
    }

    /// <summary>Where the broker listens.</summary>
    public string Endpoint { get; }

    /// <summary>The interpreter that can import zmq, or null when there is none.</summary>
    public static string? FindPython()
    {
        foreach (var candidate in (string[])["/usr/bin/python3", "python3", "python"])
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

        return null;
    }

    public static async Task<PythonMajordomoBroker> StartAsync(string python, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"baton-bench-mdbroker-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, Script, cancellationToken);
        var info = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(path);
        var process = Process.Start(info) ?? throw new BenchFailure("could not start the Python broker");
        var endpoint = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        if (endpoint is null)
        {
            process.Dispose();
            File.Delete(path);
            throw new BenchFailure("the Python broker ended before it bound");
        }

        return new PythonMajordomoBroker(process, path, endpoint);
    }

    /// <summary>The CPU time the broker has used so far.</summary>
    public TimeSpan CpuTime() => BrokerBench.CpuTime(_process);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
        File.Delete(_scriptPath);
    }
}
