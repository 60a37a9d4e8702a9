using System.Diagnostics;
using System.Text.Json;

namespace Baton.Bench.Cli.Processes;

/// <summary>Runs the Python side of the queue and pipe benchmarks (Debian's python3 and python3-zmq).</summary>
internal static class PythonContenders
{
    /// <summary>Runs one contender of python_contenders.py and returns its JSON line.</summary>
    public static async Task<JsonElement> RunAsync(string contender, CancellationToken cancellationToken, params string[] arguments)
    {
        var folder = Directory.CreateTempSubdirectory("baton-bench-py-");
        try
        {
            var script = Path.Combine(folder.FullName, "python_contenders.py");
            await using (var resource = typeof(PythonContenders).Assembly.GetManifestResourceStream("python_contenders.py")!)
            await using (var file = File.Create(script))
                await resource.CopyToAsync(file, cancellationToken);
            var start = new ProcessStartInfo(Python()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(script);
            start.ArgumentList.Add(contender);
            foreach (var argument in arguments)
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new BenchFailure("could not start python3");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            if (process.ExitCode != 0)
                throw new BenchFailure($"python3 {contender} failed (exit code {process.ExitCode}): {(await errors).Trim()}");
            return JsonDocument.Parse((await output).Trim()).RootElement.Clone();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    // Debian's interpreter first: python3-zmq is installed for it, not for other pythons on PATH.
    private static string Python() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}
