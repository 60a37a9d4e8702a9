using System.Diagnostics;
using System.IO.Compression;
using Baton.Tests.Packaging;
using Xunit;
using Xunit.Abstractions;

namespace Baton.Processes.Tests.Packaging;

/// <summary>
/// Baton.Processes as a user gets it: the package's contents, and an app of the user's own (plain Main, no
/// Baton set-up) that references the package and runs children under <c>dotnet run</c>, published
/// self-contained (also as a single file) and framework-dependent, and refuses clearly when trimmed.
/// </summary>
public sealed class ProcessesPackageTests(PackageFeed feed, ITestOutputHelper log) : IClassFixture<PackageFeed>
{
    /// <summary>
    /// The user's program: a result and an exception from children, a SharedValue counted by children, a
    /// Manager dictionary filled by a child. A trimmed app cannot start children: it says why and exits 3.
    /// </summary>
    private const string Program = """
        using Baton.Processes;

        ChildProcess<int> first;
        try
        {
            first = ChildProcess.Start(Work.Square, 7);
        }
        catch (PlatformNotSupportedException e)
        {
            Console.WriteLine($"unsupported: {e.Message}");
            return 3;
        }

        await using (first)
            Console.WriteLine($"square {await first.Result}");

        await using (var failing = ChildProcess.Start(Work.Fail, "bad input"))
        {
            try
            {
                await failing.Result;
            }
            catch (InvalidOperationException e)
            {
                Console.WriteLine($"caught {e.GetType().Name}: {e.Message}");
            }

            await failing.JoinAsync();
            Console.WriteLine($"failed child exit {failing.ExitCode}");
        }

        using (var counter = SharedValue<long>.Create())
        {
            var children = new List<ChildProcess>();
            for (var i = 0; i < 3; i++)
                children.Add(ChildProcess.Start(Work.Count, counter, 1000));
            foreach (var child in children)
            {
                await child.Completion;
                await child.DisposeAsync();
            }

            Console.WriteLine($"counter {counter.Read()}");
        }

        await using (var manager = await Manager.StartAsync())
        {
            var scores = manager.Dictionary<string, int>("scores");
            await using (var child = ChildProcess.Start(Work.Fill, scores))
                await child.Completion;
            Console.WriteLine($"scores {string.Join(",", scores.ToDictionary().OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"))}");
        }

        Console.WriteLine("done");
        return 0;

        static class Work
        {
            public static int Square(int x)
            {
                Console.WriteLine($"child {Environment.ProcessId} squares {x}");
                return x * x;
            }

            public static int Fail(string why) => throw new InvalidOperationException(why);

            public static void Count(SharedValue<long> counter, int times)
            {
                for (var i = 0; i < times; i++)
                    counter.Increment();
            }

            public static void Fill(DictionaryProxy<string, int> scores)
            {
                scores["ada"] = 3;
                scores["bob"] = 5;
            }
        }
        """;

    private static readonly string[] Expected =
    [
        "squares 7", // the child's own output, in the parent's stdout
        "square 49",
        "caught InvalidOperationException: bad input",
        "failed child exit 1",
        "counter 3000",
        "scores ada=3,bob=5",
        "done",
    ];

    [Fact]
    public void Package_DependsOnBatonAndMessagePack_WithReadmeDocsAndSymbols()
    {
        log.WriteLine($"pack (Baton.Processes, then Baton): {feed.PackTime.TotalSeconds:F1} s");
        Assert.True(File.Exists(Path.Combine(feed.Folder, $"Baton.Processes.{feed.Version}.snupkg")), "the symbols package is missing");
        using var package = ZipFile.OpenRead(Path.Combine(feed.Folder, $"Baton.Processes.{feed.Version}.nupkg"));
        var nuspec = Nuspec.Read(package, "Baton.Processes", feed.Version);
        Assert.Contains("multiprocessing", nuspec.Descendants(nuspec.Name.Namespace + "tags").Single().Value, StringComparison.Ordinal);
        Assert.NotNull(package.GetEntry("lib/net10.0/Baton.Processes.dll"));
        Assert.NotNull(package.GetEntry("lib/net10.0/Baton.Processes.xml"));

        // What a user's restore pulls in: Baton at the same version, and the serializer.
        var dependencies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dependency in nuspec.Descendants(nuspec.Name.Namespace + "dependency"))
            dependencies[dependency.Attribute("id")!.Value] = dependency.Attribute("version")!.Value;
        Assert.Equal(feed.Version, dependencies["Baton"]);
        Assert.True(dependencies.ContainsKey("MessagePack"), "the package does not depend on MessagePack");
        Assert.Equal(2, dependencies.Count);

        // The symbols package carries the library's pdb.
        using var symbols = ZipFile.OpenRead(Path.Combine(feed.Folder, $"Baton.Processes.{feed.Version}.snupkg"));
        Assert.NotNull(symbols.GetEntry("lib/net10.0/Baton.Processes.pdb"));
    }

    [Fact]
    public async Task UserApp_FromThePackage_RunsUnderDotnetRun_AndPublishedSelfContainedSingleFileAndFrameworkDependent()
    {
        var app = await CreateAppAsync("app");
        var dotnet = feed.Dotnet;

        var output = await TimedAsync("dotnet run", () => dotnet.RunOrFailAsync("dotnet", "run", "--project", app, "-c", "Release"));
        AssertRan(output);

        var selfContained = Path.Combine(dotnet.Root, "self-contained");
        await TimedAsync("publish self-contained", () => dotnet.RunOrFailAsync("dotnet", "publish", app, "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", selfContained, "-nologo"));
        Assert.True(File.Exists(Path.Combine(selfContained, "libcoreclr.so")), "the self-contained publish lacks the runtime");
        AssertRan(await TimedAsync("run self-contained", () => dotnet.RunOrFailAsync(Path.Combine(selfContained, "App"))));

        // One file holding the runtime and every assembly: the startup hook is found inside the bundle.
        var singleFile = Path.Combine(dotnet.Root, "single-file");
        await TimedAsync("publish single-file", () => dotnet.RunOrFailAsync("dotnet", "publish", app, "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishSingleFile=true", "-o", singleFile, "-nologo"));
        Assert.False(File.Exists(Path.Combine(singleFile, "Baton.Processes.dll")), "the single-file publish left Baton.Processes.dll beside the app");
        AssertRan(await TimedAsync("run single-file", () => dotnet.RunOrFailAsync(Path.Combine(singleFile, "App"))));

        var frameworkDependent = Path.Combine(dotnet.Root, "framework-dependent");
        await TimedAsync("publish framework-dependent", () => dotnet.RunOrFailAsync("dotnet", "publish", app, "-c", "Release", "-o", frameworkDependent, "-nologo"));
        AssertRan(await TimedAsync("run framework-dependent", () => dotnet.RunOrFailAsync(Path.Combine(frameworkDependent, "App"))));
    }

    [Fact]
    public async Task TrimmedApp_StartingAChild_GetsPlatformNotSupported()
    {
        var app = await CreateAppAsync("trimmed");
        var dotnet = feed.Dotnet;
        var trimmed = Path.Combine(dotnet.Root, "trimmed-out");
        await TimedAsync("publish trimmed", () => dotnet.RunOrFailAsync("dotnet", "publish", app, "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishTrimmed=true", "-o", trimmed, "-nologo"));

        var (exit, stdout, stderr) = await dotnet.RunAsync(Path.Combine(trimmed, "App"));
        Assert.True(exit == 3, $"the trimmed app exited {exit}:\n{stdout}\n{stderr}");
        Assert.Contains("unsupported: Baton child processes need startup hooks", stdout, StringComparison.Ordinal);
        Assert.Contains("PublishTrimmed", stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// The README's "Processes in ten lines": the pool example and the queue example, each the Program.cs of
    /// an app of its own built from the package, so the examples users copy are the ones tested.
    /// </summary>
    [Fact]
    public async Task ReadmeExamples_RunFromThePackage()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(Dotnet.Checkout, "README.md"));
        var section = readme.IndexOf("## Processes in ten lines", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md lacks the section \"## Processes in ten lines\"");
        var blocks = System.Text.RegularExpressions.Regex.Matches(readme[section..readme.IndexOf("\n## ", section + 3, StringComparison.Ordinal)], @"```csharp\n(?<code>.*?)```", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.Equal(2, blocks.Count);

        // The pool example computes and prints nothing: say what it computed before its helper class.
        var pool = blocks[0].Groups["code"].Value;
        var types = pool.IndexOf("static class", StringComparison.Ordinal);
        pool = pool[..types] + "Console.WriteLine($\"pool {one} {all.Count} {all[^1]}\");\n\n" + pool[types..];
        var poolApp = await CreateAppAsync("readme-pool", pool);
        var output = await TimedAsync("README pool: dotnet run", () => feed.Dotnet.RunOrFailAsync("dotnet", "run", "--project", poolApp, "-c", "Release"));
        Assert.Contains("pool 49 10000 99980001", output, StringComparison.Ordinal);

        var queueApp = await CreateAppAsync("readme-queue", "using Baton.Processes;\n\n" + blocks[1].Groups["code"].Value);
        output = await TimedAsync("README queue: dotnet run", () => feed.Dotnet.RunOrFailAsync("dotnet", "run", "--project", queueApp, "-c", "Release"));
        Assert.Contains("message 0\n", output, StringComparison.Ordinal);
        Assert.Contains("message 999\n", output, StringComparison.Ordinal);
    }

    /// <summary>The user's project in a folder of its own: the feed as its package source, the package reference, <paramref name="program"/> (<see cref="Program"/> by default).</summary>
    private async Task<string> CreateAppAsync(string name, string program = Program)
    {
        var app = Path.Combine(feed.Dotnet.Root, name);
        Directory.CreateDirectory(app);
        // The test's packages land in the test's own packages folder (IsolatePackages); everything else
        // (MessagePack, runtime packs, the trimmer) comes from the machine's folder without a copy.
        var machinePackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="baton-test" value="{feed.Folder}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Baton.Processes" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), program);
        feed.Dotnet.IsolatePackages = true;
        return app;
    }

    private static void AssertRan(string output)
    {
        foreach (var line in Expected)
            Assert.Contains(line, output, StringComparison.Ordinal);
    }

    private async Task<T> TimedAsync<T>(string step, Func<Task<T>> run)
    {
        var clock = Stopwatch.StartNew();
        var result = await run();
        log.WriteLine($"{step}: {clock.Elapsed.TotalSeconds:F1} s");
        return result;
    }
}
