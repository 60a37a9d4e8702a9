using System.Reflection;
using System.Text.RegularExpressions;
using Baton.Sockets;
using NetArchTest.Rules;
using Xunit;

namespace Baton.Tests;

/// <summary>
/// DESIGN.md's "Who may use whom", checked on the compiled library (type references in signatures and
/// in method bodies, async state machines and lambdas included): Sockets -> Engine -> Wire -> Messages,
/// Engine -> Transports, Sockets -> Transports; everyone may use Internal and the root namespace; never
/// upward.
/// </summary>
public class ArchitectureTests
{
    private static readonly Assembly Library = typeof(ZmqSocket).Assembly;

    // Namespaces above the library's layers: none exists in the library yet, and none may be used once they do.
    private static readonly string[] Above = ["Baton.Security", "Baton.Patterns", "Baton.Processes", "Baton.Extensions", "Baton.Cli"];

    /// <summary>Each layer (a namespace and those under it) and what it must not use.</summary>
    public static TheoryData<string, string[]> Layers => new()
    {
        { "Baton.Internal", ["Baton.Messages", "Baton.Wire", "Baton.Transports", "Baton.Engine", "Baton.Sockets", .. Above] },
        { "Baton.Messages", ["Baton.Wire", "Baton.Transports", "Baton.Engine", "Baton.Sockets", .. Above] },
        { "Baton.Wire", ["Baton.Transports", "Baton.Engine", "Baton.Sockets", .. Above] },
        { "Baton.Transports", ["Baton.Messages", "Baton.Wire", "Baton.Engine", "Baton.Sockets", .. Above] },
        { "Baton.Engine", ["Baton.Sockets", .. Above] },
        { "Baton.Sockets", Above },
        { "Baton.Security", ["Baton.Patterns", "Baton.Processes", "Baton.Extensions", "Baton.Cli"] },
        { "Baton.Patterns", ["Baton.Processes", "Baton.Extensions", "Baton.Cli"] },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Layer_UsesNothingAboveIt(string layer, string[] forbidden)
    {
        var result = Types.InAssembly(Library)
            .That().ResideInNamespaceMatching("^" + Regex.Escape(layer) + @"(\.|$)")
            .ShouldNot().HaveDependencyOnAny(forbidden)
            .GetResult();

        Assert.NotEmpty(result.SelectedTypesForTesting);
        Assert.True(result.IsSuccessful, Describe(layer, result));
    }

    [Fact]
    public void RootNamespace_UsesNoLayer()
    {
        var result = Types.InAssembly(Library)
            .That().ResideInNamespaceMatching("^Baton$")
            .ShouldNot().HaveDependencyOnAny(["Baton.Messages", "Baton.Wire", "Baton.Transports", "Baton.Engine", "Baton.Sockets", .. Above])
            .GetResult();

        Assert.NotEmpty(result.SelectedTypesForTesting);
        Assert.True(result.IsSuccessful, Describe("Baton", result));
    }

    [Fact]
    public void EveryNamespace_IsALayerTheRulesKnow()
    {
        // A new folder must take its place in the rules above before it can hold code.
        string[] known = ["Baton", "Baton.Internal", "Baton.Messages", "Baton.Wire", "Baton.Wire.Mechanisms", "Baton.Transports", "Baton.Engine", "Baton.Sockets", "Baton.Security", "Baton.Patterns"];
        var unknown = Library.GetTypes()
            .Select(type => type.Namespace)
            .Where(ns => ns is not null && (ns == "Baton" || ns.StartsWith("Baton.", StringComparison.Ordinal)) && !known.Contains(ns))
            .Distinct()
            .ToList();

        Assert.Empty(unknown);
    }

    [Fact]
    public void Library_ReferencesNoOtherBatonAssembly()
    {
        // The CLI, hosting and processes sit on top of the library, never under it.
        var references = Library.GetReferencedAssemblies()
            .Where(name => name.Name!.StartsWith("Baton", StringComparison.Ordinal))
            .Select(name => name.Name)
            .ToList();

        Assert.Empty(references);
    }

    private static string Describe(string layer, TestResult result) =>
        $"{layer} uses what it must not (DESIGN.md, \"Who may use whom\"):\n" + string.Join(
            "\n",
            (result.FailingTypes ?? []).Select(type => $"  {type.FullName}: {type.Explanation}"));
}
