using Grpc.Core;
using Serve.Config;

namespace Serve.IntegrationTests.Composition;

/// <summary>
/// A served application on real Kestrel (127.0.0.1, free ports): a gRPC call reaches the
/// <see cref="RelayIngress"/>, which calls its child <see cref="ContextReporter"/> through a typed handle.
/// The child's <see cref="ServeRequestContext"/> carries the client's request id.
/// </summary>
public sealed class RequestIdPropagationTests : IAsyncLifetime
{
    private ServeTestHost _serve = null!;

    public async Task InitializeAsync() => _serve = await ServeTestHost.StartAsync(new ServeConfig
    {
        HttpOptions = new HttpOptions { Host = "127.0.0.1", Port = 0 },
        GrpcOptions = new GrpcOptions { Port = 0, GrpcServicerFunctions = ["servetesting.composition.Relay"] },
        Applications =
        [
            new ApplicationConfig { Name = "relay", RoutePrefix = "/relay", ImportPath = "Serve.IntegrationTests.Composition.CompositionApplications:Relay" },
        ],
    });

    public async Task DisposeAsync() => await _serve.DisposeAsync();

    [Fact]
    public async Task The_clients_request_id_reaches_the_child_and_comes_back_in_the_trailers()
    {
        var client = new Relay.RelayClient(_serve.Channel);

        using var call = client.AskAsync(new RelayRequest { Text = "hi" }, new CallOptions(new Metadata { { "request_id", "abc-123" } }));
        var reply = await call;

        Assert.Equal("hi", reply.Text);
        Assert.Equal("abc-123", reply.IngressRequestId);
        Assert.Equal("abc-123", reply.ChildRequestId);
        Assert.Equal("relay", reply.ChildApplication);
        Assert.Equal("ContextReporter.Report", reply.ChildRoute);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        var trailers = call.GetTrailers();
        Assert.Equal("request_id", trailers[0].Key);
        Assert.Equal("abc-123", trailers[0].Value);
    }

    [Fact]
    public async Task Without_a_request_id_the_generated_one_is_the_childs_too()
    {
        var client = new Relay.RelayClient(_serve.Channel);

        using var first = client.AskAsync(new RelayRequest { Text = "a" });
        var a = await first;
        using var second = client.AskAsync(new RelayRequest { Text = "b" });
        var b = await second;

        var generated = first.GetTrailers().GetValue("request_id");
        Assert.False(string.IsNullOrEmpty(generated));
        Assert.Equal(generated, a.IngressRequestId);
        Assert.Equal(generated, a.ChildRequestId);
        Assert.Equal(second.GetTrailers().GetValue("request_id"), b.ChildRequestId);
        Assert.NotEqual(a.ChildRequestId, b.ChildRequestId);
    }
}
