using Grpc.Core;
using Serve.Protos;
using Userdefinedprotos;

namespace Serve.IntegrationTests;

/// <summary>The gRPC guide's calls, made with Serve's own client against the real host.</summary>
[Collection(QuickstartCollection.Name)]
public sealed class GrpcQuickstartTests(QuickstartHostFixture fixture)
{
    private readonly UserDefinedService.UserDefinedServiceClient _client = new(fixture.Channel);
    private static readonly UserDefinedMessage s_request = new() { Name = "foo", Num = 30, Origin = "bar" };

    [Fact]
    public async Task Unary_call_returns_the_greeting_and_a_generated_request_id()
    {
        using var call = _client.__call__Async(s_request);
        var response = await call;

        Assert.Equal("Hello foo from bar", response.Greeting);
        Assert.Equal(60, response.Num);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        var first = call.GetTrailers()[0];
        Assert.Equal("request_id", first.Key);
        Assert.True(Guid.TryParse(first.Value, out _), first.Value);
    }

    [Fact]
    public async Task Request_id_sent_by_the_client_is_echoed()
    {
        using var call = _client.__call__Async(s_request, new CallOptions(headers: new Metadata { { "request_id", "my-id-42" } }));
        await call;
        Assert.Equal("my-id-42", call.GetTrailers().GetValue("request_id"));
    }

    [Fact]
    public async Task Multiplexing_names_the_requested_model()
    {
        var headers = new Metadata { { "application", "app1" }, { "request_id", "123" }, { "multiplexed_model_id", "999" } };
        using var call = _client.MultiplexingAsync(new UserDefinedMessage2(), new CallOptions(headers));
        var response = await call;
        Assert.Equal("Method2 called model, loading model: 999", response.Greeting);
        Assert.Equal("123", call.GetTrailers().GetValue("request_id"));
    }

    [Fact]
    public async Task Streaming_returns_ten_messages_then_the_request_id()
    {
        using var call = _client.Streaming(s_request, new CallOptions(new Metadata { { "application", "app1" } }));
        var received = new List<UserDefinedResponse>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            received.Add(message);
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i}: Hello foo from bar"), received.Select(r => r.Greeting));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 60L + i), received.Select(r => r.Num));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("request_id", call.GetTrailers()[0].Key);
    }

    [Fact]
    public async Task Serve_api_lists_applications_and_reports_health()
    {
        var api = new RayServeAPIService.RayServeAPIServiceClient(fixture.Channel);

        var apps = await api.ListApplicationsAsync(new ListApplicationsRequest());
        var health = await api.HealthzAsync(new HealthzRequest());

        Assert.Equal(["app1"], apps.ApplicationNames);
        Assert.Equal("success", health.Message);
    }

    [Fact]
    public async Task Unknown_application_is_not_found_with_ray_serves_message()
    {
        using var call = _client.__call__Async(s_request, new CallOptions(new Metadata { { "application", "nope" } }));
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("Application 'nope' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.", ex.Status.Detail);
        Assert.Equal("request_id", ex.Trailers[0].Key);
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented_and_names_are_case_sensitive()
    {
        foreach (var name in new[] { "NoSuchMethod", "__CALL__", "streaming" })
        {
            var method = RawGrpc.Unary<UserDefinedMessage, UserDefinedResponse>("userdefinedprotos.UserDefinedService", name);
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await fixture.Channel.Call(method, s_request));
            Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        }
        // The server keeps serving.
        Assert.Equal(60, (await _client.__call__Async(s_request)).Num);
    }

    [Fact]
    public async Task Concurrent_calls_are_spread_over_both_replicas_and_all_succeed()
    {
        var calls = Enumerable.Range(0, 200).Select(async i =>
        {
            var response = await _client.__call__Async(new UserDefinedMessage { Name = $"n{i}", Origin = "o", Num = i });
            return response.Num == i * 2;
        });
        Assert.All(await Task.WhenAll(calls), Assert.True);
        var replicas = fixture.Host.Controller.Routes.Applications["app1"].Ingress.Router.Replicas;
        Assert.Equal(2, replicas.Count);
    }
}
