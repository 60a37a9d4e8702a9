using System.IO.Compression;
using System.Xml.Linq;
using Xunit;

namespace Baton.Tests.Packaging;

/// <summary>Reads a package's manifest and checks the metadata every Baton package carries.</summary>
internal static class Nuspec
{
    /// <summary>The nuspec of <paramref name="package"/>, after checking what both packages share.</summary>
    public static XElement Read(ZipArchive package, string id, string version)
    {
        var entry = package.GetEntry($"{id}.nuspec") ?? throw new InvalidOperationException($"{id}.nuspec is missing from the package");
        using var stream = entry.Open();
        var nuspec = XDocument.Load(stream).Root!;
        var ns = nuspec.Name.Namespace;
        var metadata = nuspec.Element(ns + "metadata")!;
        string? Value(string name) => metadata.Element(ns + name)?.Value;

        Assert.Equal(id, Value("id"));
        Assert.Equal(version, Value("version"));
        Assert.Equal("the Baton contributors", Value("authors"));
        Assert.False(string.IsNullOrWhiteSpace(Value("description")));
        Assert.Contains("zeromq", Value("tags"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("expression", metadata.Element(ns + "license")?.Attribute("type")?.Value);
        Assert.StartsWith("https://", Value("projectUrl"));
        Assert.StartsWith("https://", metadata.Element(ns + "repository")?.Attribute("url")?.Value);
        Assert.Equal("README.md", Value("readme"));
        Assert.NotNull(package.GetEntry("README.md"));
        return nuspec;
    }
}
