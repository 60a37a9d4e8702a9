using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests;

/// <summary>
/// What a newcomer reads when something goes wrong: the exceptions found by trying the public API as a user
/// would (an app's own internal record, an argument exception from the child, a missing key, a closed manager).
/// </summary>
public sealed class UserFacingMessagesTests
{
    [Fact]
    public void InternalRecordArgument_IsRefused_SayingToMakeItPublic()
    {
        var error = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Calls.Area, [new InternalSize(2, 3)]));
        Assert.Contains("Make", error.Message, StringComparison.Ordinal);
        Assert.Contains("InternalSize public", error.Message, StringComparison.Ordinal);

        var list = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Calls.Total, [new List<InternalSize> { new(1, 1) }]));
        Assert.Contains("InternalSize public", list.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InternalRecordResult_IsRefused_SayingToMakeItPublic()
    {
        var error = Assert.Throws<ArgumentException>(() => Invocation.ValidateResultType(Calls.Make));
        Assert.Contains("InternalSize public", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("range")]
    [InlineData("null")]
    [InlineData("disposed")]
    [InlineData("user")]
    public async Task ExceptionsWhoseStringConstructorTakesAName_KeepTheirMessage(string kind)
    {
        var outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Calls.Fail, [kind]), CancellationToken.None);
        var expected = Calls.Exception(kind);
        var error = Assert.Throws(expected.GetType(), () => Invocation.DecodeOutcome<int>(outcome));
        Assert.Equal(expected.Message, error.Message);
    }

    [Fact]
    public void DisposedSharedValueAndArray_AreNamedAsTheUserWroteThem()
    {
        var value = SharedValue<int>.Create();
        value.Dispose();
        Assert.Contains("SharedValue<Int32>", Assert.Throws<ObjectDisposedException>(() => value.Increment()).ObjectName, StringComparison.Ordinal);
        var array = SharedArray<long>.Create(null, 2);
        array.Dispose();
        Assert.Contains("SharedArray<Int64>", Assert.Throws<ObjectDisposedException>(() => array.AsSpan()).ObjectName, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalFunctions_AreNamedAsWritten()
    {
        Assert.Equal($"{typeof(UserFacingMessagesTests).FullName}.{nameof(LocalFunctions_AreNamedAsWritten)}.Twice", Invocation.CallName(Twice));
        var factor = 3;
        var error = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Times, [2]));
        Assert.Contains($"{nameof(LocalFunctions_AreNamedAsWritten)}.Times captures 'factor'", error.Message, StringComparison.Ordinal);

        static int Twice(int x) => 2 * x;
        int Times(int x) => x * factor;
    }

    [Fact]
    public void CapturingLambda_NamesTheUsersVariables_NotTheCompilers()
    {
        var factor = 3;
        Func<int, int> other = x => x + factor; // a second lambda in the scope: the compiler caches delegates beside the captures
        var error = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall((int x) => x * factor, [2]));
        Assert.Contains("'factor'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'<", error.Message, StringComparison.Ordinal);
        GC.KeepAlive(other);
    }

    [Fact]
    public async Task Manager_MissingKeyNamesTheKey_AndAClosedManagerSaysSo()
    {
        var folder = Directory.CreateTempSubdirectory("baton-manager-test-").FullName;
        using var stop = new CancellationTokenSource();
        var server = new ManagerServer();
        try
        {
            var endpoint = server.Bind($"ipc://{folder}/manager");
            var serving = server.RunAsync(stop.Token);
            var manager = Manager.Connect(endpoint);
            var scores = manager.Dictionary<string, int>("scores");
            var missing = Assert.Throws<KeyNotFoundException>(() => scores["zed"]);
            Assert.Contains("'zed'", missing.Message, StringComparison.Ordinal);
            Assert.Contains("'scores'", missing.Message, StringComparison.Ordinal);

            await manager.DisposeAsync();
            await manager.DisposeAsync(); // twice is harmless
            var closed = Assert.Throws<ObjectDisposedException>(() => scores["zed"]);
            Assert.Equal(nameof(Manager), closed.ObjectName);
            Assert.Contains("disposed", closed.Message, StringComparison.Ordinal);

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A user's exception as a primary constructor writes it: its one parameter is not called "message".</summary>
    public sealed class TerseException(string text) : Exception(text);

    /// <summary>An app's own data type, internal as records in Program.cs are by default.</summary>
    internal sealed record InternalSize(int Width, int Height);

    private static class Calls
    {
        public static int Area(InternalSize size) => size.Width * size.Height;

        public static int Total(List<InternalSize> sizes) => sizes.Count;

        public static InternalSize Make() => new(1, 1);

        public static int Fail(string kind) => throw Exception(kind);

        public static Exception Exception(string kind) => kind switch
        {
            "range" => new ArgumentOutOfRangeException("count", 7, "Too many."),
            "null" => new ArgumentNullException("name", "A name is needed."),
            "disposed" => new ObjectDisposedException("Widget", "The widget was closed."),
            _ => new TerseException("a user's exception whose (string) constructor names its parameter otherwise"),
        };
    }
}
