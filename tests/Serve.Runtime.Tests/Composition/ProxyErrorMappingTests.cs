using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Dispatch;
using Serve.Hosting;
using Serve.Http;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Composition;

/// <summary>
/// An ingress method that lets a child call's back-pressure or unavailability escape gets the same
/// answer as the proxy's own: RESOURCE_EXHAUSTED / UNAVAILABLE over gRPC, 503 with Retry-After over HTTP.
/// Starts a real host on free ports of 127.0.0.1.
/// </summary>
public sealed class ProxyErrorMappingTests : IAsyncLifetime
{
    private const string Service = "compositiontests.Front";

    private ServeHost _host = null!;
    private GrpcChannel _channel = null!;
    private HttpClient _http = null!;

    /// <summary>The ingress: calls a child that is full (<c>busy</c>) or has no replica (<c>empty</c>).</summary>
    private sealed class Front(DeploymentHandle<Probe> busy, DeploymentHandle<Probe> empty)
    {
        public async Task CallAsync(string child, CancellationToken cancellationToken)
        {
            if (child.StartsWith("rpc/", StringComparison.Ordinal))
            {
                throw new RpcException(new Status((StatusCode)int.Parse(child[4..], System.Globalization.CultureInfo.InvariantCulture), "no image at 'x'"));
            }
            if (child == "empty")
            {
                await empty.Invoke("Context", (p, _) => p.Context(), cancellationToken);
                return;
            }
            // One call holds Busy's only slot and one waits in its one-place queue: the third is refused.
            var release = NewSignal();
            var running = busy.Invoke("Hold", (p, ct) => p.HoldAsync(NewSignal(), release.Task, ct), cancellationToken);
            var queued = busy.Invoke("Hold", (p, ct) => p.HoldAsync(NewSignal(), release.Task, ct), cancellationToken);
            try
            {
                await busy.Invoke("Context", (p, _) => p.Context(), cancellationToken);
            }
            finally
            {
                release.SetResult();
                await running;
                await queued;
            }
        }
    }

    public async Task InitializeAsync()
    {
        var front = new DeploymentDefinition("Front", "Tests.Composition.Front", new DeploymentOptions(), 2,
            (args, _) => new Front((DeploymentHandle<Probe>)args[0]!, (DeploymentHandle<Probe>)args[1]!),
            [Service],
            [
                new GrpcMethodDefinition(Service, "Busy", GrpcMethodType.Unary, "google.protobuf.Empty", "google.protobuf.Empty",
                    static async (instance, call) => await ((Front)instance).CallAsync("busy", call.CancellationToken)),
                new GrpcMethodDefinition(Service, "Empty", GrpcMethodType.Unary, "google.protobuf.Empty", "google.protobuf.Empty",
                    static async (instance, call) => await ((Front)instance).CallAsync("empty", call.CancellationToken)),
            ])
        {
            HttpRoutes =
            [
                new HttpRouteDefinition(null, null, "Call", static async (instance, call) =>
                {
                    await ((Front)instance).CallAsync(call.Request.Path.Trim('/'), call.CancellationToken);
                    await call.WriteResultAsync(HttpResult.Text("unreachable"));
                }),
            ],
        };
        ServeRegistry.AddDeployment(front);
        var importPath = "Tests.Composition.Proxy:App" + Guid.NewGuid().ToString("N");
        ServeRegistry.AddApplicationBuilder(importPath, _ => Bind<Front>(front,
            Bind<Probe>(Define("Busy", _ => new Probe())).WithOptions(maxOngoingRequests: 1, maxQueuedRequests: 1),
            Bind<Probe>(Define("Empty", _ => new Probe())).WithOptions(numReplicas: 0)));

        var config = new ServeConfig
        {
            HttpOptions = new HttpOptions { Port = 0 },
            GrpcOptions = new GrpcOptions { Port = 0, GrpcServicerFunctions = [Service] },
            Applications = [new ApplicationConfig { Name = "front", RoutePrefix = "/", ImportPath = importPath }],
        };
        config.Validate();
        _host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Critical));
        await _host.StartAsync();
        Assert.Empty(_host.Controller.FailedApplications);
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_host.GrpcPort}");
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_host.HttpPort}") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public void The_app_deploys_its_ingress_and_both_children()
    {
        var app = _host.Controller.Routes.Applications["front"];
        Assert.Equal(["Busy", "Empty", "Front"], app.Deployments.Select(d => d.Name));
        Assert.Equal([1, 0, 1], app.Deployments.Select(d => d.Router.Replicas.Count));
    }

    [Theory]
    [InlineData("Busy", StatusCode.ResourceExhausted, "Request dropped due to backpressure (num_queued_requests=1, max_queued_requests=1) on deployment 'Busy'.")]
    [InlineData("Empty", StatusCode.Unavailable, "Deployment 'Empty' has no running replica.")]
    public async Task Over_grpc_an_escaping_child_error_keeps_its_status(string method, StatusCode expected, string detail)
    {
        var marshaller = Marshallers.Create((Empty m) => m.ToByteArray(), Empty.Parser.ParseFrom);
        var rpc = new Method<Empty, Empty>(MethodType.Unary, Service, method, marshaller, marshaller);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _channel.CreateCallInvoker().AsyncUnaryCall(rpc, null, new CallOptions(), new Empty()));

        Assert.Equal(expected, ex.StatusCode);
        Assert.Equal(detail, ex.Status.Detail);
    }

    [Theory]
    [InlineData("busy", "Request dropped due to backpressure (num_queued_requests=1, max_queued_requests=1) on deployment 'Busy'.")]
    [InlineData("empty", "Deployment 'Empty' has no running replica.")]
    public async Task Over_http_an_escaping_child_error_is_503_with_retry_after(string child, string detail)
    {
        using var response = await _http.GetAsync("/" + child);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        Assert.Equal(detail, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, 400)]
    [InlineData(StatusCode.NotFound, 404)]
    [InlineData(StatusCode.PermissionDenied, 403)]
    [InlineData(StatusCode.ResourceExhausted, 429)]
    [InlineData(StatusCode.Unimplemented, 501)]
    [InlineData(StatusCode.Unavailable, 503)]
    [InlineData(StatusCode.DeadlineExceeded, 504)]
    public async Task Over_http_a_grpc_status_thrown_by_the_deployment_becomes_the_matching_http_status_with_its_detail(StatusCode code, int expected)
    {
        using var response = await _http.GetAsync($"/rpc/{(int)code}");

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("{\"detail\":\"no image at 'x'\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(expected == 503 ? "1" : null, response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task Over_http_an_internal_grpc_status_stays_a_500()
    {
        using var response = await _http.GetAsync($"/rpc/{(int)StatusCode.Internal}");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }
}
