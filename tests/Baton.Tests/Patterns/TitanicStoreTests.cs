using System.Text;
using Baton.Messages;
using Baton.Patterns;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>Titanic's store on its own: requests and replies round-trip byte for byte, survive reopening, close idempotently; ids hide no paths.</summary>
public sealed class TitanicStoreTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("baton-titanic-store-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public void Request_RoundTrips_ByteForByte_AndIsPendingUntilItsReply()
    {
        var store = new TitanicStore(_folder.FullName);
        using var request = new Message(Frame.FromString("echo"), Frame.Empty, new Frame([0, 255, 10, 13]), Frame.FromString("é"));
        var id = store.StoreRequest(request);

        Assert.True(store.HasRequest(id));
        Assert.Equal([id], store.PendingRequests());
        using (var stored = store.ReadRequest(id)!.Value)
        {
            AssertSame(request, stored);
        }

        Assert.Null(store.ReadReply(id));
        using var reply = new Message("done", "");
        store.StoreReply(id, reply);
        Assert.Empty(store.PendingRequests());
        using (var stored = store.ReadReply(id)!.Value)
        {
            AssertSame(reply, stored);
        }

        // The message stays the caller's: the store only read it.
        Assert.Equal(4, request.Count);
    }

    [Fact]
    public void ReopenedStore_SeesWhatWasStored_AndDropsHalfWrittenFiles()
    {
        Guid pending, answered;
        {
            var store = new TitanicStore(_folder.FullName);
            using var first = new Message("echo", "one");
            using var second = new Message("echo", "two");
            pending = store.StoreRequest(first);
            answered = store.StoreRequest(second);
            using var reply = new Message("two");
            store.StoreReply(answered, reply);
        }

        // What a crash in the middle of a write leaves: a temporary file, never acknowledged.
        var leftover = Path.Combine(_folder.FullName, $"{Guid.NewGuid():N}.request.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(leftover, "half");

        var reopened = new TitanicStore(_folder.FullName);
        Assert.False(File.Exists(leftover));
        Assert.Equal([pending], reopened.PendingRequests());
        using var answer = reopened.ReadReply(answered)!.Value;
        Assert.Equal(["two"], answer.ToStrings());
    }

    [Fact]
    public void Close_ForgetsRequestAndReply_AndAnUnknownIdIsNoError()
    {
        var store = new TitanicStore(_folder.FullName);
        using var request = new Message("echo", "x");
        var id = store.StoreRequest(request);
        store.StoreReply(id, request);
        store.Close(id);
        Assert.False(store.HasRequest(id));
        Assert.Null(store.ReadRequest(id));
        Assert.Null(store.ReadReply(id));
        Assert.Empty(Directory.GetFiles(_folder.FullName));

        store.Close(id);
        store.Close(Guid.NewGuid());
    }

    [Fact]
    public void PendingRequests_OldestFirst_AndIdsAreUnique()
    {
        var store = new TitanicStore(_folder.FullName);
        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            using var request = new Message("echo", $"{i}");
            ids.Add(store.StoreRequest(request));
            File.SetLastWriteTimeUtc(Path.Combine(_folder.FullName, $"{ids[^1]:N}.request"), new DateTime(2020, 1, 1).AddSeconds(i));
        }

        Assert.Equal(ids, store.PendingRequests());
        Assert.Equal(20, ids.Distinct().Count());
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789ABCDEF", true)]
    [InlineData("0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdeg", false)]
    [InlineData("01234567-89ab-cdef-0123-456789ab", false)]
    [InlineData("../../../../../../../etc/passwd!!", false)]
    [InlineData("", false)]
    public void TryParseId_AcceptsOnly32HexDigits(string text, bool valid)
    {
        Assert.Equal(valid, TitanicStore.TryParseId(Encoding.UTF8.GetBytes(text), out var id));
        if (valid)
        {
            Assert.Equal(text.ToLowerInvariant(), TitanicStore.FormatId(id));
        }
    }

    [Fact]
    public void StoreRequest_WithoutAServiceName_Throws()
    {
        var store = new TitanicStore(_folder.FullName);
        using var request = new Message(Frame.Empty, Frame.FromString("body"));
        Assert.Throws<ArgumentException>(() => store.StoreRequest(request));
    }

    [Fact]
    public void ForeignFile_IsRefusedAsCorrupt()
    {
        var store = new TitanicStore(_folder.FullName);
        var id = Guid.NewGuid();
        File.WriteAllText(Path.Combine(_folder.FullName, $"{id:N}.reply"), "not ours");
        Assert.Throws<InvalidDataException>(() => store.ReadReply(id));
    }

    private static void AssertSame(Message expected, Message actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected.GetSpan(i).ToArray(), actual.GetSpan(i).ToArray());
        }
    }
}
