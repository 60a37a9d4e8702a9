using System.Reflection;
using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests;

/// <summary>DESIGN.md: Processes is built on Baton's public API only.</summary>
public class ArchitectureTests
{
    [Fact]
    public void Library_DoesNotSeeBatonInternals()
    {
        // Baton grants its internals to its own tests only; Processes must manage with what users get.
        var grants = typeof(Baton.Sockets.Context).Assembly.GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>();
        foreach (var grant in grants)
            Assert.DoesNotContain("Baton.Processes", grant.AssemblyName, StringComparison.Ordinal);
        Assert.Equal("Baton.Processes", typeof(ProcessesAssembly).Assembly.GetName().Name);
    }
}
