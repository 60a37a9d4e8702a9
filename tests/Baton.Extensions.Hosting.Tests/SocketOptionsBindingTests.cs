using System.Reflection;
using System.Text;
using Baton.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace Baton.Extensions.Hosting.Tests;

public class SocketOptionsBindingTests
{
    [Fact]
    public async Task NamedOptions_BindFromConfiguration()
    {
        var builder = TestHost.CreateBuilder(configuration: new Dictionary<string, string?>
        {
            ["Baton:Sockets:feed:ReceiveHighWatermark"] = "10000",
            ["Baton:Sockets:feed:linger"] = "00:00:05",
            ["Baton:Sockets:feed:ReconnectInterval"] = "00:00:00.250",
            ["Baton:Sockets:feed:Identity"] = "feed-1",
            ["Baton:Sockets:feed:Immediate"] = "true",
            ["Baton:Sockets:feed:MaxMessageSize"] = "1048576",
            ["Baton:Sockets:audit:Linger"] = "Infinite",
        });
        builder.Services.AddBaton()
            .AddSocketOptions("feed", builder.Configuration.GetSection("Baton:Sockets:feed"))
            .AddSocketOptions("audit", builder.Configuration.GetSection("Baton:Sockets:audit"));
        using var host = builder.Build();
        await host.StartAsync();

        var monitor = host.Services.GetRequiredService<IOptionsMonitor<SocketOptions>>();
        var feed = monitor.Get("feed");
        Assert.Equal(10_000, feed.ReceiveHighWatermark);
        Assert.Equal(TimeSpan.FromSeconds(5), feed.Linger);
        Assert.Equal(TimeSpan.FromMilliseconds(250), feed.ReconnectInterval);
        Assert.Equal("feed-1"u8.ToArray(), feed.Identity);
        Assert.True(feed.Immediate);
        Assert.Equal(1_048_576, feed.MaxMessageSize);
        Assert.Equal(SocketOptions.Default.SendHighWatermark, feed.SendHighWatermark);
        Assert.Equal(Timeout.InfiniteTimeSpan, monitor.Get("audit").Linger);
        Assert.Equal(SocketOptions.Default, monitor.Get("unknown name"));

        await host.StopAsync();
    }

    [Fact]
    public void CodeChanges_ApplyAfterConfiguration_InTheOrderAdded()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["feed:SendHighWatermark"] = "5",
            ["feed:Linger"] = "00:00:01",
        }).Build();
        var services = new ServiceCollection();
        services.AddBaton()
            .AddSocketOptions("feed", configuration.GetSection("feed"))
            .AddSocketOptions("feed", o => o with { Linger = TimeSpan.FromSeconds(9) });
        using var provider = services.BuildServiceProvider();

        var feed = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>().Get("feed");
        Assert.Equal(5, feed.SendHighWatermark);
        Assert.Equal(TimeSpan.FromSeconds(9), feed.Linger);
    }

    [Fact]
    public void AChangedConfiguration_IsReadAgain()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["feed:SendHighWatermark"] = "5" }).Build();
        var services = new ServiceCollection();
        services.AddBaton().AddSocketOptions("feed", configuration.GetSection("feed"));
        using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>();
        Assert.Equal(5, monitor.Get("feed").SendHighWatermark);

        configuration["feed:SendHighWatermark"] = "7";
        configuration.Reload();

        Assert.Equal(7, monitor.Get("feed").SendHighWatermark);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "SendHighWatermark", "-1", "must be a non-negative value" },
        { "SendHighWatermark", "lots", "'lots' is not a whole number" },
        { "Linger", "-00:00:05", "Use a non-negative duration" },
        { "Linger", "5", "is not a duration" },
        { "LingerStallTimeout", "00:00:00", "Use a positive duration" },
        { "Immediate", "yes", "is not true or false" },
        { "Identity", new string('x', 256), "An identity must be 1 to 255 bytes" },
        { "Lingr", "00:00:05", "is not a socket option" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public async Task ABadValue_FailsStartup_NamingTheKeyAndTheProblem(string key, string value, string problem)
    {
        var builder = TestHost.CreateBuilder(configuration: new Dictionary<string, string?>
        {
            ["Baton:Sockets:feed:ReceiveHighWatermark"] = "10",
            ["Baton:Sockets:feed:" + key] = value,
        });
        builder.Services.AddBaton().AddSocketOptions("feed", builder.Configuration.GetSection("Baton:Sockets:feed"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal("feed", error.OptionsName);
        Assert.Equal(typeof(SocketOptions), error.OptionsType);
        var failure = Assert.Single(error.Failures);
        Assert.StartsWith($"Baton:Sockets:feed:{key}", failure, StringComparison.Ordinal);
        Assert.Contains(problem, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", failure, StringComparison.Ordinal);
        Assert.Contains($"Baton:Sockets:feed:{key}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryBadKey_IsReported_NotOnlyTheFirst()
    {
        var builder = TestHost.CreateBuilder(configuration: new Dictionary<string, string?>
        {
            ["Baton:Sockets:feed:SendHighWatermark"] = "-1",
            ["Baton:Sockets:feed:Linger"] = "soon",
        });
        builder.Services.AddBaton().AddSocketOptions("feed", builder.Configuration.GetSection("Baton:Sockets:feed"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void ABadCodeChange_IsAValidationFailureToo()
    {
        var services = new ServiceCollection();
        services.AddBaton().AddSocketOptions("feed", o => o with { SendHighWatermark = -5 });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<SocketOptions>>().Get("feed"));

        Assert.Contains("AddSocketOptions(\"feed\", configure)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheApplicationsOwnValidators_Run()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["feed:SendHighWatermark"] = "0" }).Build();
        var services = new ServiceCollection();
        services.AddBaton().AddSocketOptions("feed", configuration.GetSection("feed"));
        services.AddOptions<SocketOptions>("feed").Validate(o => o.SendHighWatermark > 0, "feed needs a bounded queue");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<SocketOptions>>().Get("feed"));

        Assert.Equal("feed needs a bounded queue", Assert.Single(error.Failures));
    }

    [Fact]
    public void ConfigureOfSocketOptions_IsRefused_NotAppliedToAnImmutableRecord()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["feed:SendHighWatermark"] = "5" }).Build();
        var services = new ServiceCollection();
        services.AddBaton();
        services.Configure<SocketOptions>("feed", configuration.GetSection("feed"));
        using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>();

        var error = Assert.Throws<OptionsValidationException>(() => monitor.Get("feed"));

        Assert.Contains("AddSocketOptions(\"feed\"", Assert.Single(error.Failures), StringComparison.Ordinal);
        Assert.Equal(SocketOptions.Default, monitor.Get("other"));
        Assert.Equal(1000, SocketOptions.Default.SendHighWatermark);
    }

    [Fact]
    public void EverySettableOption_HasAKey()
    {
        // Fails when SocketOptions gains a public option that configuration cannot set yet.
        var values = new Dictionary<string, string?>();
        var expected = new Dictionary<PropertyInfo, object>();
        foreach (var property in typeof(SocketOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true } || property.PropertyType == typeof(SocketSecurity))
            {
                // Security is a section of its own (SecurityBindingTests below).
                continue;
            }

            (string text, object value) = property.PropertyType switch
            {
                var t when t == typeof(int) => ("3", (object)3),
                var t when t == typeof(long) => ("3", 3L),
                var t when t == typeof(bool) => ("true", true),
                var t when t == typeof(TimeSpan) => ("00:00:03", TimeSpan.FromSeconds(3)),
                var t when t == typeof(byte[]) => ("abc", Encoding.UTF8.GetBytes("abc")),
                var t when t == typeof(string) => ("abc", "abc"),
                var t => throw new InvalidOperationException($"SocketOptions.{property.Name} has a type ({t}) the test and the reader do not know"),
            };
            values["s:" + property.Name] = text;
            expected[property] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddBaton().AddSocketOptions("s", configuration.GetSection("s"));
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>().Get("s");

        Assert.NotEmpty(expected);
        foreach (var (property, value) in expected)
        {
            Assert.Equal(value, property.GetValue(options));
        }
    }

    [Fact]
    public void Security_IsASection_WithTheMechanismAndItsKeys()
    {
        // A key pair made by pyzmq's zmq.curve_keypair(), Z85.
        const string secret = "0.)Vp3Ygo#a4@$W37aCy-VOyTyBxm]?)5e(PmF>I";
        const string server = "V09ZBxIkBCBzSgY}/y%g^=nKVU)KDc{D@PJz/JGT";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["server:Security:Mechanism"] = "CurveServer",
            ["server:Security:SecretKey"] = secret,
            ["client:Security:Mechanism"] = "curveclient",
            ["client:Security:SecretKey"] = secret,
            ["client:Security:ServerKey"] = server,
            ["plain:Security:Mechanism"] = "PlainClient",
            ["plain:Security:UserName"] = "admin",
            ["plain:Security:Password"] = "secret",
            ["plain:ZapDomain"] = "global",
        }).Build();
        var services = new ServiceCollection();
        services.AddBaton()
            .AddSocketOptions("server", configuration.GetSection("server"))
            .AddSocketOptions("client", configuration.GetSection("client"))
            .AddSocketOptions("plain", configuration.GetSection("plain"));
        using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>();

        Assert.Equal("CURVE server", monitor.Get("server").Security.ToString());
        Assert.Equal("CURVE client", monitor.Get("client").Security.ToString());
        Assert.Equal("PLAIN client", monitor.Get("plain").Security.ToString());
        Assert.Equal("global", monitor.Get("plain").ZapDomain);
    }

    [Fact]
    public async Task Security_PlainPassword_IsTakenAsWritten()
    {
        // Spaces are part of a password: trimmed, it would no longer match the server's.
        const string password = " two words ";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["plain:Security:Mechanism"] = "PlainClient",
            ["plain:Security:UserName"] = "admin",
            ["plain:Security:Password"] = password,
        }).Build();
        var services = new ServiceCollection();
        services.AddBaton().AddSocketOptions("plain", configuration.GetSection("plain"));
        using var provider = services.BuildServiceProvider();
        var clientOptions = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>().Get("plain");

        await using var context = new Context();
        await using var authenticator = Baton.Security.ZapAuthenticator.Start(context);
        authenticator.ConfigurePlain(Baton.Security.ZapAuthenticator.AnyDomain, new Dictionary<string, string> { ["admin"] = password });
        await using var server = new PullSocket(new SocketOptions { Security = SocketSecurity.PlainServer() }, context);
        var endpoint = server.Bind("tcp://127.0.0.1:0");
        await using var client = new PushSocket(clientOptions with { Linger = TimeSpan.Zero }, context);
        client.Connect(endpoint);
        await client.SendAsync(new Baton.Messages.Message("hello"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var received = await server.ReceiveAsync(timeout.Token);
        Assert.Equal("admin", received.UserId);
    }

    [Fact]
    public void Security_WithABadKey_FailsWithoutEchoingIt()
    {
        const string bad = "not a key, but a secret of forty chars!!";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["feed:Security:Mechanism"] = "CurveClient",
            ["feed:Security:SecretKey"] = bad,
            ["feed:Security:ServerKey"] = bad,
            ["other:Security:Mechanism"] = "Kerberos",
            ["third:Security:Mechanism"] = "CurveServer",
        }).Build();
        var services = new ServiceCollection();
        services.AddBaton()
            .AddSocketOptions("feed", configuration.GetSection("feed"))
            .AddSocketOptions("other", configuration.GetSection("other"))
            .AddSocketOptions("third", configuration.GetSection("third"));
        using var provider = services.BuildServiceProvider();
        var monitor = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>();

        var error = Assert.Throws<OptionsValidationException>(() => monitor.Get("feed"));
        var failure = Assert.Single(error.Failures);
        Assert.Contains("feed:Security", failure, StringComparison.Ordinal);
        Assert.Contains("Z85", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(bad, failure, StringComparison.Ordinal);
        Assert.Contains("Kerberos", Assert.Single(Assert.Throws<OptionsValidationException>(() => monitor.Get("other")).Failures), StringComparison.Ordinal);
        Assert.Contains("SecretKey is required", Assert.Single(Assert.Throws<OptionsValidationException>(() => monitor.Get("third")).Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Security_ReadsKeyFiles()
    {
        var folder = Directory.CreateTempSubdirectory("baton-keys-");
        try
        {
            var server = Baton.Security.CurveKeyPair.Generate();
            var client = Baton.Security.CurveKeyPair.Generate();
            var (serverPublic, _) = Baton.Security.CurveKeyFiles.Write(folder.FullName, "server", server);
            var (_, clientSecret) = Baton.Security.CurveKeyFiles.Write(folder.FullName, "client", client);
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["client:Security:Mechanism"] = "CurveClient",
                ["client:Security:SecretKeyFile"] = clientSecret,
                ["client:Security:ServerKeyFile"] = serverPublic,
                ["wrong:Security:Mechanism"] = "CurveServer",
                ["wrong:Security:SecretKeyFile"] = serverPublic,
            }).Build();
            var services = new ServiceCollection();
            services.AddBaton()
                .AddSocketOptions("client", configuration.GetSection("client"))
                .AddSocketOptions("wrong", configuration.GetSection("wrong"));
            using var provider = services.BuildServiceProvider();
            var monitor = provider.GetRequiredService<IOptionsMonitor<SocketOptions>>();

            Assert.Equal("CURVE client", monitor.Get("client").Security.ToString());
            var failure = Assert.Single(Assert.Throws<OptionsValidationException>(() => monitor.Get("wrong")).Failures);
            Assert.Contains("holds no secret key", failure, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
