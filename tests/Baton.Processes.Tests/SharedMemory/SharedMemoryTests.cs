using MessagePack;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

// The folder's namespace shares the type's name: the alias makes SharedMemory mean the type here.
using SharedMemory = Baton.Processes.SharedMemory;

public class SharedMemoryTests
{
    private static string UniqueName() => "test-" + Guid.NewGuid().ToString("N");

    [Fact]
    public void Open_SeesWhatCreateWrote_AndTheOtherWay()
    {
        using var created = SharedMemory.Create(UniqueName(), 4096);
        using var opened = SharedMemory.Open(created.Name);
        Assert.Equal(4096, opened.Size);
        Assert.Equal(created.Name, opened.Name);

        created.GetSpan(100, 5).Fill(7);
        Assert.Equal(new byte[] { 7, 7, 7, 7, 7 }, opened.GetSpan(100, 5).ToArray());
        opened.Span[4095] = 42;
        Assert.Equal(42, created.Span[4095]);
        Assert.Equal(0, created.Span[0]); // a new block is zeroed
    }

    [Fact]
    public void File_StaysWhileAnOwnerRemains_AndGoesWithTheLast()
    {
        var first = SharedMemory.Create(UniqueName(), 64);
        string path = first.FilePath;
        var second = SharedMemory.Open(first.Name);
        try
        {
            Assert.True(File.Exists(path));
            first.Dispose();
            Assert.True(File.Exists(path));
            using (SharedMemory third = SharedMemory.Open(second.Name))
                Assert.Equal(64, third.Size);
            Assert.True(File.Exists(path));
            second.Dispose();
            Assert.False(File.Exists(path));
        }
        finally
        {
            first.Dispose();
            second.Dispose();
        }
    }

    [Fact]
    public void Create_RefusesALiveName()
    {
        using var block = SharedMemory.Create(UniqueName(), 64);
        var error = Assert.Throws<SharedMemoryExistsException>(() => SharedMemory.Create(block.Name, 64));
        Assert.Equal(block.Name, error.Name);
        Assert.Contains(block.Name, error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(block.FilePath)); // the refused create left the live block alone
    }

    [Fact]
    public void Create_TakesOverAStaleFile()
    {
        string name = UniqueName();
        string path = SharedMemory.PathOf(name);
        File.WriteAllBytes(path, new byte[] { 1, 2, 3 }); // a file nobody holds: its owners are gone
        try
        {
            using var block = SharedMemory.Create(name, 128);
            Assert.Equal(128, block.Size);
            Assert.Equal(0, block.Span[0]);
            Assert.Equal(128, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("../x")]
    [InlineData("has space")]
    [InlineData("caf\u00e9")]
    [InlineData("nul\0")]
    public void BadNames_AreRefused(string name)
    {
        var create = Assert.Throws<ArgumentException>(() => SharedMemory.Create(name, 64));
        Assert.Equal("name", create.ParamName);
        Assert.Throws<ArgumentException>(() => SharedMemory.Open(name));
    }

    [Fact]
    public void TooLongName_IsRefused_AndTheLongestAccepted()
    {
        Assert.Throws<ArgumentException>(() => SharedMemory.Create(new string('a', SharedMemory.MaxNameLength + 1), 64));
        using var block = SharedMemory.Create(new string('b', SharedMemory.MaxNameLength - 32) + Guid.NewGuid().ToString("N"), 64);
        Assert.Equal(SharedMemory.MaxNameLength, block.Name.Length);
    }

    [Fact]
    public void Open_OfAMissingName_SaysWhichName()
    {
        string name = UniqueName();
        var error = Assert.Throws<FileNotFoundException>(() => SharedMemory.Open(name));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithoutName_GeneratesUniqueNames()
    {
        using var a = SharedMemory.Create(null, 64);
        using var b = SharedMemory.Create(null, 64);
        Assert.NotEqual(a.Name, b.Name);
        SharedMemory.ValidateName(a.Name);
        using var again = SharedMemory.Open(a.Name);
        Assert.Equal(64, again.Size);
    }

    [Fact]
    public void Create_RefusesNonPositiveSizes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedMemory.Create(UniqueName(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SharedMemory.Create(UniqueName(), -1));
    }

    [Fact]
    public void Create_LargerThanDevShmHolds_FailsAtOnceWithAClearError()
    {
        long tooMuch = new DriveInfo("/dev/shm").TotalSize + (1L << 30);
        string name = UniqueName();
        var error = Assert.Throws<IOException>(() => SharedMemory.Create(name, tooMuch));
        Assert.Contains("no room", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(SharedMemory.PathOf(name)));
    }

    [Fact]
    public void GetSpan_ChecksBounds_AndDisposedBlocksThrow()
    {
        var block = SharedMemory.Create(UniqueName(), 64);
        Assert.Throws<ArgumentOutOfRangeException>(() => block.GetSpan(60, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => block.GetSpan(-1, 1));
        Assert.Equal(4, block.GetSpan(60, 4).Length);
        block.Dispose();
        block.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => block.GetSpan(0, 1));
    }

    [Fact]
    public async Task OpenRacingWithTheLastClose_GetsALiveBlockOrNotFound()
    {
        // An opener must never end up with a mapping of a file that lost its name.
        string name = UniqueName();
        for (int i = 0; i < 200; i++)
        {
            var block = SharedMemory.Create(name, 64);
            using var go = new Barrier(2);
            SharedMemory? opened = null;
            var opener = Task.Run(() =>
            {
                go.SignalAndWait();
                try
                {
                    opened = SharedMemory.Open(name);
                }
                catch (FileNotFoundException)
                {
                }
            });
            go.SignalAndWait();
            block.Dispose();
            await opener.WaitAsync(TimeSpan.FromSeconds(30));
            if (opened is not null)
            {
                Assert.True(File.Exists(opened.FilePath));
                opened.Dispose();
            }
            Assert.False(File.Exists(SharedMemory.PathOf(name)));
        }
    }

    [Fact]
    public void CreateOpenAndDispose_RacingOnOneName_NeverLeaveAnOwnerWithAnUnnamedBlock()
    {
        string name = UniqueName();
        const int Threads = 4;
        const int Rounds = 300;
        int orphans = 0;
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    SharedMemory? block = null;
                    try
                    {
                        block = SharedMemory.Create(name, 64);
                    }
                    catch (SharedMemoryExistsException)
                    {
                        try
                        {
                            block = SharedMemory.Open(name);
                        }
                        catch (FileNotFoundException)
                        {
                        }
                    }
                    if (block is null)
                        continue;
                    if (!block.IsNamed())
                        Interlocked.Increment(ref orphans);
                    block.Dispose();
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
            Assert.True(worker.Join(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, orphans);
        Assert.False(File.Exists(SharedMemory.PathOf(name)));
    }

    [Fact]
    public void RemoveStale_RemovesTheFileOfAnOwnerKilledWithSigkill()
    {
        var block = SharedMemory.Create(UniqueName(), 64);
        string path = block.FilePath;
        try
        {
            using var owner = ForeignOwner.Start(path);
            block.Dispose(); // the foreign owner still holds it: the file stays
            Assert.True(File.Exists(path));
            SharedMemory.RemoveStale();
            Assert.True(File.Exists(path)); // a live owner's file is never removed
            owner.KillHard();
            Assert.True(SharedMemory.RemoveStale() >= 1);
            Assert.False(File.Exists(path));
        }
        finally
        {
            block.Dispose();
            File.Delete(path);
        }
    }

    [Fact]
    public void MessagePack_SendsTheName_AndOpensTheBlock()
    {
        using var block = SharedMemory.Create(UniqueName(), 64);
        block.Span[3] = 9;
        byte[] bytes = MessagePackSerializer.Serialize(block);
        Assert.Equal(block.Name, MessagePackSerializer.Deserialize<string>(bytes));
        using SharedMemory? received = MessagePackSerializer.Deserialize<SharedMemory>(bytes);
        Assert.NotNull(received);
        Assert.Equal(block.Name, received.Name);
        Assert.Equal(9, received.Span[3]);
        block.Dispose();
        Assert.True(File.Exists(received.FilePath)); // the receiver is an owner
    }
}
