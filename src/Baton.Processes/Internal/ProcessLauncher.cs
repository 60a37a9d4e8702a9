using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Baton.Processes.Internal;

/// <summary>
/// Starts a copy of this process (same executable, same command line) with posix_spawn. The copy loads
/// Baton.Processes as a startup hook (<see cref="StartupHook"/>), which reads <see cref="ChildVariable"/> and
/// runs the requested work instead of Main. System.Diagnostics.Process is not used because it reports a
/// signal as 128+signal, which cannot be told from exit(137).
/// </summary>
internal static unsafe class ProcessLauncher
{
    /// <summary>Tells a re-executed process to run one call for a <see cref="ChildProcess"/>: the number of its control socket's file descriptor.</summary>
    public const string ChildVariable = "BATON_CHILD";

    /// <summary>The pid of the process that spawned this one, for the parent-death watch.</summary>
    public const string ParentVariable = "BATON_PARENT_PID";

    /// <summary>DOTNET_STARTUP_HOOKS as it was before Baton added itself, so grandchildren see the user's value.</summary>
    public const string OriginalHooksVariable = "BATON_STARTUP_HOOKS_ORIGINAL";

    /// <summary>The runtime's startup hook list.</summary>
    public const string StartupHooksVariable = "DOTNET_STARTUP_HOOKS";

    private static string[]? commandLine;

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> where a child process cannot be started.</summary>
    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Baton child processes run on Linux only (they use posix_spawn, pidfds and waitid).");
        if (!RuntimeFeature.IsDynamicCodeSupported)
            throw new PlatformNotSupportedException("Baton child processes need startup hooks, which Native AOT applications do not support. Publish the app without PublishAot.");
        if (AppContext.TryGetSwitch("System.StartupHookProvider.IsSupported", out var hooks) && !hooks)
            throw new PlatformNotSupportedException("Baton child processes need startup hooks, which this application disables (trimmed apps do by default). Publish without PublishTrimmed: a trimmed app cannot be re-entered through a startup hook.");
    }

    /// <summary>
    /// Spawns a copy of this process that takes the role <paramref name="roleVariable"/> =
    /// <paramref name="roleValue"/> (see <see cref="StartupHook"/>), and returns its pid. When
    /// <paramref name="inheritFd"/> is not -1, that descriptor becomes the child's descriptor
    /// <see cref="InheritedDescriptor"/>(inheritFd). The child watches this process and dies with it.
    /// Standard output and error are inherited; standard input is /dev/null (as Python's children), so two
    /// processes never compete for the console's input.
    /// </summary>
    // The child finds the hook by name only: keep it in a trimmed app that enables startup hooks
    // (StartupHookSupport=true), or its children would die of a TypeLoadException before running anything.
    [DynamicDependency(nameof(StartupHook.Initialize), typeof(StartupHook))]
    public static int Spawn(string roleVariable, string roleValue, int inheritFd, IReadOnlyDictionary<string, string?>? extraEnvironment, string? workingDirectory)
    {
        var path = Environment.ProcessPath ?? "/proc/self/exe";
        var argv = CommandLine();

        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            environment[(string)entry.Key] = (string?)entry.Value;
        if (extraEnvironment is not null)
        {
            foreach (var (key, value) in extraEnvironment)
                environment[key] = value;
        }

        var hooks = environment.GetValueOrDefault(StartupHooksVariable);
        environment[OriginalHooksVariable] = hooks ?? "";
        environment[StartupHooksVariable] = string.IsNullOrEmpty(hooks) ? ProcessesAssembly.Name : hooks + Path.PathSeparator + ProcessesAssembly.Name;
        environment[ParentVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment[roleVariable] = roleValue;

        var envp = new List<string>(environment.Count);
        foreach (var (key, value) in environment)
        {
            if (value is not null)
                envp.Add(key + "=" + value);
        }

        return SpawnCore(path, argv, envp, inheritFd, inheritFd < 0 ? -1 : InheritedDescriptor(inheritFd), workingDirectory);
    }

    /// <summary>
    /// The number a descriptor passed to <see cref="Spawn"/> has in the child: 3, or 4 when it already is 3
    /// (dup2 onto itself would keep its close-on-exec flag).
    /// </summary>
    public static int InheritedDescriptor(int fd) => fd == 3 ? 4 : 3;

    /// <summary>
    /// In a re-executed process, before its role runs: watch the parent (die with it), and put the
    /// environment back as the user had it, so processes this one starts are not taken for Baton's.
    /// </summary>
    public static void PrepareChild()
    {
        var parent = Environment.GetEnvironmentVariable(ParentVariable);
        Environment.SetEnvironmentVariable(ParentVariable, null);
        var original = Environment.GetEnvironmentVariable(OriginalHooksVariable);
        if (original is not null)
        {
            Environment.SetEnvironmentVariable(StartupHooksVariable, original.Length == 0 ? null : original);
            Environment.SetEnvironmentVariable(OriginalHooksVariable, null);
        }

        if (int.TryParse(parent, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parentPid))
            ParentWatch.Start(parentPid);
    }

    private static int SpawnCore(string path, string[] argv, List<string> envp, int childFd, int target, string? workingDirectory)
    {
        // One native block: the strings, then the argv and envp pointer arrays, then the spawn structures.
        var strings = new List<byte[]>(argv.Length + envp.Count + 2) { Encode(path), Encode("/dev/null") };
        foreach (var arg in argv)
            strings.Add(Encode(arg));
        foreach (var variable in envp)
            strings.Add(Encode(variable));

        var pinned = new GCHandle[strings.Count];
        var argvPtr = (byte**)NativeMemory.AllocZeroed((nuint)(argv.Length + 1), (nuint)sizeof(byte*));
        var envpPtr = (byte**)NativeMemory.AllocZeroed((nuint)(envp.Count + 1), (nuint)sizeof(byte*));
        var actions = NativeMemory.AllocZeroed(LibC.SpawnStructSize);
        var attributes = NativeMemory.AllocZeroed(LibC.SpawnStructSize);
        var sigset = NativeMemory.AllocZeroed(LibC.SigSetSize);
        try
        {
            for (var i = 0; i < strings.Count; i++)
                pinned[i] = GCHandle.Alloc(strings[i], GCHandleType.Pinned);
            for (var i = 0; i < argv.Length; i++)
                argvPtr[i] = (byte*)pinned[2 + i].AddrOfPinnedObject();
            for (var i = 0; i < envp.Count; i++)
                envpPtr[i] = (byte*)pinned[2 + argv.Length + i].AddrOfPinnedObject();

            Check(LibC.FileActionsInit(actions), "posix_spawn_file_actions_init");
            Check(LibC.FileActionsAddOpen(actions, 0, (byte*)pinned[1].AddrOfPinnedObject(), LibC.O_RDONLY, 0), "posix_spawn_file_actions_addopen");
            if (childFd >= 0)
                Check(LibC.FileActionsAddDup2(actions, childFd, target), "posix_spawn_file_actions_adddup2");
            if (workingDirectory is not null)
                Check(LibC.FileActionsAddChdir(actions, workingDirectory), "posix_spawn_file_actions_addchdir_np");

            // The runtime blocks and handles signals; the child starts with every signal at its default and none blocked.
            Check(LibC.AttrInit(attributes), "posix_spawnattr_init");
            LibC.SigFillSet(sigset);
            Check(LibC.AttrSetSigDefault(attributes, sigset), "posix_spawnattr_setsigdefault");
            LibC.SigEmptySet(sigset);
            Check(LibC.AttrSetSigMask(attributes, sigset), "posix_spawnattr_setsigmask");
            Check(LibC.AttrSetFlags(attributes, LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK), "posix_spawnattr_setflags");

            var error = LibC.PosixSpawn(out var pid, (byte*)pinned[0].AddrOfPinnedObject(), actions, attributes, argvPtr, envpPtr);
            if (error != 0)
                throw new IOException($"Cannot start a child process: posix_spawn of {path} failed: {LibC.ErrorText(error)}.");
            return pid;
        }
        finally
        {
            LibC.FileActionsDestroy(actions);
            LibC.AttrDestroy(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(sigset);
            NativeMemory.Free(argvPtr);
            NativeMemory.Free(envpPtr);
            foreach (var handle in pinned)
            {
                if (handle.IsAllocated)
                    handle.Free();
            }
        }
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
            throw new IOException($"Cannot start a child process: {call} failed: {LibC.ErrorText(error)}.");
    }

    private static byte[] Encode(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    /// <summary>This process's command line as the kernel has it (argv[0] included), read once.</summary>
    public static string[] CommandLine()
    {
        if (commandLine is { } known)
            return known;
        var raw = File.ReadAllBytes("/proc/self/cmdline");
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != 0)
                continue;
            parts.Add(Encoding.UTF8.GetString(raw, start, i - start));
            start = i + 1;
        }

        if (start < raw.Length)
            parts.Add(Encoding.UTF8.GetString(raw, start, raw.Length - start));

        // "dotnet App.dll" with a relative path breaks once the app changes its working directory (children
        // inherit the current one): name the entry assembly by its full path.
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location;
        if (!string.IsNullOrEmpty(entry))
        {
            for (var i = 1; i < parts.Count; i++)
            {
                if (!Path.IsPathRooted(parts[i]) && parts[i].EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                    && string.Equals(Path.GetFileName(parts[i]), Path.GetFileName(entry), StringComparison.Ordinal))
                {
                    parts[i] = entry;
                    break;
                }
            }
        }

        return commandLine = [.. parts];
    }
}
