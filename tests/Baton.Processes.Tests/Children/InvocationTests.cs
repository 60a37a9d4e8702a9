using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests.Children;

/// <summary>The invocation core in one process: calls and outcomes encoded, executed and decoded.</summary>
public class InvocationTests
{
    [Fact]
    public async Task StaticMethod_RoundTrips()
    {
        var call = Invocation.EncodeCall(Work.Square, [9]);
        var outcome = await Invocation.ExecuteAsync(call, CancellationToken.None);
        Assert.Equal(81, Invocation.DecodeOutcome<int>(outcome));
    }

    [Fact]
    public async Task Arguments_OfSeveralTypes_ArriveIntact()
    {
        var basket = new Basket { Owner = "ann", Items = ["pear", "fig"], Spot = new Point(4, 5) };
        var call = Invocation.EncodeCall(Work.Describe, [3, "text", new[] { 1.5, 2.5 }, basket]);
        var outcome = await Invocation.ExecuteAsync(call, CancellationToken.None);
        Assert.Equal("3|text|1.5,2.5|4,5|ann:pear,fig", Invocation.DecodeOutcome<string>(outcome));
    }

    [Fact]
    public void CallName_NamesTheMethod()
    {
        Assert.Equal("Baton.Processes.Tests.Children.Work.Square", Invocation.CallName(Work.Square));
        var call = Invocation.EncodeCall(Work.Square, [1]);
        Assert.Equal("Baton.Processes.Tests.Children.Work.Square", Invocation.CallName(call));
    }

    [Fact]
    public void CapturingLambda_IsRefused_NamingTheCapturedVariables()
    {
        var factor = 3;
        var offset = 1;
        var error = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall((int x) => (x * factor) + offset, [2]));
        Assert.Contains("'factor'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'offset'", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass the state as an argument", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstanceMethod_IsRefused_AsCapturingThis()
    {
        var error = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(InstanceWork, []));
        Assert.Contains("'this'", error.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(InvocationTests), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnserializableArgument_IsRefused_NamingTheType()
    {
        var error = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Work.Consume, [new Action(() => { })]));
        Assert.Contains("System.Action", error.Message, StringComparison.Ordinal);
        Assert.Contains("'action'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnserializableResultType_IsRefused_NamingTheType()
    {
        var error = Assert.Throws<ArgumentException>(() => Invocation.ValidateResultType(Work.OpenStream));
        Assert.Contains("System.IO.Stream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BclException_IsRebuiltAsItsType_WithTheRemoteStackTrace()
    {
        var outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Work.Throw, ["boom"]), CancellationToken.None);
        var error = Assert.Throws<InvalidOperationException>(() => Invocation.DecodeOutcome<object?>(outcome));
        Assert.Equal("boom", error.Message);
        Assert.Contains(nameof(Work.Throw), error.StackTrace, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserException_IsRebuiltWithItsInner()
    {
        var outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Work.ThrowUser, ["bad"]), CancellationToken.None);
        var error = Assert.Throws<WorkFailedException>(() => Invocation.DecodeOutcome<int>(outcome));
        Assert.Equal("bad", error.Message);
        Assert.IsType<ArgumentException>(error.InnerException);
    }

    [Fact]
    public async Task ExceptionThatCannotBeRebuilt_ArrivesAsRemoteException()
    {
        var outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Work.ThrowOdd, [7]), CancellationToken.None);
        var error = Assert.Throws<RemoteException>(() => Invocation.DecodeOutcome<int>(outcome));
        Assert.Equal(typeof(OddException).FullName, error.RemoteTypeName);
        Assert.Equal("odd 7", error.RemoteMessage);
        Assert.Contains(nameof(Work.ThrowOdd), error.RemoteStackTrace, StringComparison.Ordinal);
        Assert.Equal("7", error.Data["code"]);
    }

    [Fact]
    public async Task CancellationTokenParameter_GetsTheExecutorsToken()
    {
        using var stop = new CancellationTokenSource();
        var running = Invocation.ExecuteAsync(Invocation.EncodeCall(Work.WaitForStopAsync, [CancellationToken.None]), stop.Token);
        await stop.CancelAsync();
        var outcome = await running;
        Assert.ThrowsAny<OperationCanceledException>(() => Invocation.DecodeOutcome<int>(outcome));
    }

    [Fact]
    public async Task ValueTaskMethod_IsAwaited()
    {
        var outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Work.EchoAsync, ["hi"]), CancellationToken.None);
        Assert.Equal("hi", Invocation.DecodeOutcome<string>(outcome));
    }

    [Fact]
    public void NullOrMistypedArguments_AreRefused_NamingTheParameter()
    {
        var missing = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Work.Square, [null]));
        Assert.Contains("'x'", missing.Message, StringComparison.Ordinal);
        var mistyped = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Work.Square, ["seven"]));
        Assert.Contains("System.String", mistyped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DifferentBuild_IsRefused()
    {
        var call = Invocation.EncodeCall(Work.Square, [2]);
        // The module version id sits right after the assembly name: change one byte of it.
        var name = System.Text.Encoding.UTF8.GetBytes(typeof(Work).Assembly.GetName().Name!);
        var at = call.AsSpan().IndexOf(name) + name.Length + 2; // bin8 header: 0xc4, 16
        call[at] ^= 0xff;
        await Assert.ThrowsAsync<InvalidDataException>(async () => await Invocation.ExecuteAsync(call, CancellationToken.None));
    }

    [Fact]
    public void GenericAndClosedDelegates_AreRefused()
    {
        var generic = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Identity<int>, [1]));
        Assert.Contains("generic", generic.Message, StringComparison.Ordinal);
        var closed = Assert.Throws<ArgumentException>(() => Invocation.EncodeCall(Delegate.CreateDelegate(typeof(Func<int>), "closed", typeof(InvocationTests).GetMethod(nameof(Length), System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!), []));
        Assert.Contains("closed over its first argument", closed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ObjectParameter_ReceivesPrimitivesAndMaps()
    {
        var outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Describe, [42]), CancellationToken.None);
        Assert.Equal("42", Invocation.DecodeOutcome<string>(outcome));
        outcome = await Invocation.ExecuteAsync(Invocation.EncodeCall(Describe, [new Point(1, 2)]), CancellationToken.None);
        Assert.Contains("Dictionary", Invocation.DecodeOutcome<string>(outcome), StringComparison.Ordinal);
    }

    private static string Describe(object value) => value.ToString() ?? "";

    private static T Identity<T>(T value) => value;

    private static int Length(string text) => text.Length;

    private int InstanceWork() => GetHashCode();
}
