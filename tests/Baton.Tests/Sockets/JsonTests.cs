using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Messages;
using Baton.Sockets;
using Xunit;

namespace Baton.Tests.Sockets;

public sealed record Order(int Id, string Item, decimal Price, string[] Tags);

[JsonSerializable(typeof(Order))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class OrderJsonContext : JsonSerializerContext;

public class JsonTests
{
    private static readonly Order Sample = new(42, "widget ✓", 9.95m, ["a", "b"]);

    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    public async Task Json_RoundTrips_WithASourceGeneratedContext(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        using var cancel = new CancellationTokenSource(TestUtil.Timeout);

        await push.SendJsonAsync(Sample, OrderJsonContext.Default.Order, cancel.Token);
        var received = await pull.ReceiveJsonAsync(OrderJsonContext.Default.Order, cancel.Token);
        Assert.Equal(Sample.Id, received!.Id);
        Assert.Equal(Sample.Tags, received.Tags);

        // On the wire: one frame of UTF-8 JSON, named as the context says.
        push.SendJson(Sample, OrderJsonContext.Default.Order);
        using var raw = await pull.ReceiveOrFail();
        Assert.Single(raw);
        using var document = JsonDocument.Parse(raw.GetSpan(0).ToArray());
        Assert.Equal("widget ✓", document.RootElement.GetProperty("item").GetString());

        push.SendJson(Sample, OrderJsonContext.Default.Order);
        var again = pull.ReceiveJson(OrderJsonContext.Default.Order)!;
        Assert.Equal((Sample.Id, Sample.Item, Sample.Price), (again.Id, again.Item, again.Price));
    }

    [Theory]
    [InlineData("inproc")]
    [InlineData("tcp")]
    public async Task Json_RoundTrips_WithSerializerOptions(string transport)
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind(TestUtil.Endpoint(transport));
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true };

        await push.SendJsonAsync(Sample, options);
        using (var raw = await pull.ReceiveOrFail())
        {
            var text = raw.ToString();
            Assert.Contains("\"item\"", text);
            Assert.Contains("\n", text);
        }

        await push.SendJsonAsync(Sample, options);
        var received = await pull.ReceiveJsonAsync<Order>(options);
        Assert.Equal(Sample.Price, received!.Price);

        // Defaults: JsonSerializerOptions.Default; a big value grows the pooled buffer.
        var big = Enumerable.Range(0, 20_000).ToArray();
        push.SendJson(big);
        Assert.Equal(big, pull.ReceiveJson<int[]>());

        await push.SendJsonAsync<string?>(null);
        Assert.Null(await pull.ReceiveJsonAsync<string>());
    }

    [Fact]
    public async Task ReceiveJson_BadJson_ThrowsAJsonExceptionThatNamesTheProblem_AndTheSocketGoesOn()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        var endpoint = pull.Bind("tcp://127.0.0.1:0");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect(endpoint);

        await push.SendStringAsync("{\"id\": 1, \"item\": ");
        var e = await Assert.ThrowsAsync<JsonException>(async () => await pull.ReceiveJsonAsync(OrderJsonContext.Default.Order));
        Assert.Contains("not valid JSON for", e.Message);
        Assert.Contains(typeof(Order).FullName!, e.Message);
        Assert.IsType<JsonException>(e.InnerException, exactMatch: false);

        await push.SendStringAsync("not json");
        Assert.Throws<JsonException>(() => pull.ReceiveJson(OrderJsonContext.Default.Order));

        await push.SendStringsAsync(["{}", "{}"]);
        await Assert.ThrowsAsync<InvalidDataException>(async () => await pull.ReceiveJsonAsync(OrderJsonContext.Default.Order));

        await push.SendJsonAsync(Sample, OrderJsonContext.Default.Order);
        Assert.Equal(42, (await pull.ReceiveJsonAsync(OrderJsonContext.Default.Order))!.Id);
    }

    [Fact]
    public async Task SendJson_ASerializerFailure_SendsNothing()
    {
        using var context = new Context();
        await using var pull = new PullSocket(TestUtil.Quick, context);
        pull.Bind("inproc://json-failure");
        await using var push = new PushSocket(TestUtil.Quick, context);
        push.Connect("inproc://json-failure");

        // A type the source-generated context does not know cannot be written: nothing goes out.
        var options = new JsonSerializerOptions { TypeInfoResolver = OrderJsonContext.Default };
        Assert.ThrowsAny<Exception>(() => push.SendJson(new Uri("http://example.org"), options));
        push.SendJson(Sample, OrderJsonContext.Default.Order);
        using var message = await pull.ReceiveOrFail();
        Assert.StartsWith("{", message.ToString());
    }
}
