using System.Diagnostics;
using System.Text;
using Baton.Engine;
using Xunit;

namespace Baton.Tests.Engine;

/// <summary>Prefix matching with reference counts, whatever the number and lengths of the prefixes.</summary>
public class SubscriptionSetTests
{
    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Matches_ByPrefix_OfEveryLengthSubscribed()
    {
        var set = new SubscriptionSet();
        Assert.False(set.Matches(B("anything")));
        set.Add(B("weather"));
        Assert.True(set.Matches(B("weather.london")));
        Assert.True(set.Matches(B("weather")));
        Assert.False(set.Matches(B("weathe")));
        Assert.False(set.Matches(B("sports")));

        set.Add(B("sp"));
        set.Add(B("news.local"));
        Assert.True(set.Matches(B("sports")));
        Assert.True(set.Matches(B("news.local.paris")));
        Assert.False(set.Matches(B("news.")));
        Assert.True(set.Matches(B("weather.paris")));
        Assert.Equal(3, set.Count);
    }

    [Fact]
    public void EmptyPrefix_MatchesEverything_UntilRemoved()
    {
        var set = new SubscriptionSet();
        set.Add(B("x"));
        Assert.Equal(1, set.Add([]));
        Assert.True(set.Matches([]));
        Assert.True(set.Matches(B("y")));
        Assert.Equal(0, set.Remove([]));
        Assert.False(set.Matches(B("y")));
        Assert.True(set.Matches(B("x")));
    }

    [Fact]
    public void Counts_AddRemoveAndRemoveAll()
    {
        var set = new SubscriptionSet();
        Assert.Equal(1, set.Add(B("a")));
        Assert.Equal(2, set.Add(B("a")));
        Assert.Equal(1, set.Add(B("b")));
        Assert.Equal(1, set.Remove(B("a")));
        Assert.True(set.Matches(B("a1")));
        Assert.Equal(0, set.Remove(B("a")));
        Assert.False(set.Matches(B("a1")));
        Assert.Equal(-1, set.Remove(B("a")));
        Assert.Equal(-1, set.Remove(B("zz")));
        set.Add(B("b"));
        Assert.True(set.RemoveAll(B("b")));
        Assert.False(set.RemoveAll(B("b")));
        Assert.False(set.Matches(B("b")));
        Assert.Equal(0, set.Count);
        Assert.Empty(set.Prefixes());
    }

    [Fact]
    public void OneToManyAndBack_InOneLength_KeepsMatching()
    {
        // One prefix of a length is compared directly, more are hashed: the switch both ways.
        var set = new SubscriptionSet();
        set.Add(B("aaa"));
        Assert.True(set.Matches(B("aaa!")));
        set.Add(B("bbb"));
        Assert.True(set.Matches(B("aaa!")));
        Assert.True(set.Matches(B("bbb!")));
        set.Remove(B("aaa"));
        Assert.False(set.Matches(B("aaa!")));
        Assert.True(set.Matches(B("bbb!")));
        Assert.Equal([B("bbb")], set.Prefixes());
    }

    [Fact]
    public void HundredThousandPrefixes_AddMatchAndRemove_InLinearTime()
    {
        var set = new SubscriptionSet();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 100_000; i++)
        {
            set.Add(B($"topic-{i}"));
        }

        Assert.Equal(100_000, set.Count);
        Assert.Equal(100_000, set.Prefixes().Length);
        for (var i = 0; i < 100_000; i += 7)
        {
            Assert.True(set.Matches(B($"topic-{i}.data")));
        }

        Assert.False(set.Matches(B("topix-1")));
        for (var i = 0; i < 100_000; i++)
        {
            Assert.Equal(0, set.Remove(B($"topic-{i}")));
        }

        Assert.Equal(0, set.Count);
        Assert.False(set.Matches(B("topic-1")));

        // A quadratic set (a copy or a scan per add) takes minutes here; this is a bound, not a benchmark.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Matching_WhileAnotherThreadChangesTheSet_NeverFailsAndSeesStablePrefixes()
    {
        var set = new SubscriptionSet();
        set.Add(B("stable"));
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var prefix = B($"churn-{i++ % 500}");
                set.Add(prefix);
                set.Remove(prefix);
            }
        });

        for (var i = 0; i < 200_000; i++)
        {
            Assert.True(set.Matches(B("stable.message")));
        }

        stop.Cancel();
        await writer;
    }
}
