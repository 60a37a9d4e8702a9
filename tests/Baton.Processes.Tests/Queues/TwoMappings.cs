using System.IO.MemoryMappedFiles;
using Baton.Processes.Internal.Queues;

namespace Baton.Processes.Tests.Queues;

/// <summary>One ring seen through two separate mappings of a temporary file, as two processes see it.</summary>
internal sealed unsafe class TwoMappings : IDisposable
{
    private readonly string _path;
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _first;
    private readonly MemoryMappedViewAccessor _second;

    public TwoMappings(long capacity, int maxCount = 0)
    {
        _path = Path.Combine(Path.GetTempPath(), "baton-ring-test-" + Guid.NewGuid().ToString("N"));
        var length = ByteRing.RequiredBytes(capacity);
        using (var stream = new FileStream(_path, FileMode.CreateNew))
            stream.SetLength(length);
        _file = MemoryMappedFile.CreateFromFile(_path, FileMode.Open, null, length, MemoryMappedFileAccess.ReadWrite);
        _first = _file.CreateViewAccessor(0, length);
        _second = _file.CreateViewAccessor(0, length);
        byte* a = null;
        byte* b = null;
        _first.SafeMemoryMappedViewHandle.AcquirePointer(ref a);
        _second.SafeMemoryMappedViewHandle.AcquirePointer(ref b);
        ByteRing.Initialize(a, capacity, maxCount);
        First = new ByteRing(a, length);
        Second = new ByteRing(b, length);
    }

    public ByteRing First { get; }

    public ByteRing Second { get; }

    public void Dispose()
    {
        _first.SafeMemoryMappedViewHandle.ReleasePointer();
        _second.SafeMemoryMappedViewHandle.ReleasePointer();
        _first.Dispose();
        _second.Dispose();
        _file.Dispose();
        File.Delete(_path);
    }
}
