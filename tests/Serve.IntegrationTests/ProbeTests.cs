using System.Diagnostics;
using Grpc.Core;
using Serve.Config;
using Serve.IntegrationTests.Probe;
using Userdefinedprotos;
using ProbeService = Serve.IntegrationTests.Probe.Probe;

namespace Serve.IntegrationTests;

/// <summary>The gRPC proxy's parity features against a multi-app host: routing, context, errors, deadlines, streaming, multiplexing.</summary>
public sealed class ProbeTests : IAsyncLifetime
{
    private ServeTestHost _host = null!;

    private static CallOptions App(string app, DateTime? deadline = null, Metadata? extra = null, CancellationToken cancellationToken = default)
    {
        var headers = new Metadata { { "application", app } };
        foreach (var entry in extra ?? [])
        {
            headers.Add(entry);
        }
        return new CallOptions(headers, deadline, cancellationToken);
    }

    public async Task InitializeAsync() => _host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private ProbeService.ProbeClient ProbeCalls => new(_host.Channel);

    private UserDefinedService.UserDefinedServiceClient UserDefined => new(_host.Channel);

    [Theory]
    [InlineData("", null, 0)]          // the host's default: no response compression
    [InlineData("gzip", "gzip", 1)]    // turned on for this call by the method (Ray's set_compression)
    public async Task A_method_can_turn_response_compression_on_where_the_host_has_none(string algorithm, string? encoding, int flag)
    {
        var wire = new DotnetInteropTests.WireTap();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress($"http://127.0.0.1:{_host.GrpcPort}", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = wire });
        var reply = await new ProbeService.ProbeClient(channel).CompressedAsync(new ProbeRequest { Text = algorithm }, App("probe"));

        Assert.Equal(4096, reply.Text.Length);
        Assert.Equal((encoding, flag), (wire.ResponseEncoding, wire.ResponseFlag));
    }

    [Fact]
    public async Task With_several_apps_the_application_metadata_is_required()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await UserDefined.__call__Async(new UserDefinedMessage { Name = "foo" }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("Application metadata not set. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.", ex.Status.Detail);
        Assert.Equal("request_id", ex.Trailers[0].Key);
    }

    [Fact]
    public async Task Metadata_routes_to_each_app_and_an_app_without_the_service_is_unimplemented()
    {
        var greeting = await UserDefined.__call__Async(new UserDefinedMessage { Name = "foo", Origin = "bar", Num = 1 }, App("app1"));
        Assert.Equal("Hello foo from bar", greeting.Greeting);

        var echo = await ProbeCalls.EchoAsync(new ProbeRequest { Text = "hi", Number = 7 }, App("probe"));
        Assert.Equal("hi", echo.Text);
        Assert.Contains("app=probe", echo.Detail);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.EchoAsync(new ProbeRequest(), App("app1")));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        Assert.Contains("/servetesting.Probe/Echo", ex.Status.Detail);
    }

    [Fact]
    public async Task Grpc_context_num_lookup_works_as_in_the_guide()
    {
        var request = new UserDefinedMessage { Name = "foo", Num = 30, Origin = "bar" };
        using var first = UserDefined.__call__Async(request, App("context"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => first.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("foo not found, adding to nums.", ex.Status.Detail);
        Assert.Equal("request_id", ex.Trailers[0].Key);
        Assert.Equal("0", ex.Trailers.GetValue("num"));

        using var second = UserDefined.__call__Async(request, App("context"));
        var response = await second;
        Assert.Equal(StatusCode.OK, second.GetStatus().StatusCode);
        Assert.Equal("foo found.", second.GetStatus().Detail);
        Assert.Equal("Hello foo from bar", response.Greeting);
        Assert.Equal("request_id", second.GetTrailers()[0].Key);
        Assert.Equal("0", second.GetTrailers().GetValue("num"));
    }

    [Fact]
    public async Task Grpc_context_exposes_metadata_peer_and_deadline()
    {
        var extra = new Metadata { { "probe-meta", "m1" }, { "probe-bin", new byte[] { 0xDE, 0xAD } } };
        var reply = await ProbeCalls.EchoAsync(new ProbeRequest { Text = "x" }, App("probe", deadline: DateTime.UtcNow.AddSeconds(30), extra: extra));
        Assert.Contains("meta=m1", reply.Detail);
        Assert.Contains("bin=DEAD", reply.Detail);
        Assert.Contains("peer=ipv4:127.0.0.1:", reply.Detail);
        Assert.Contains("deadline=set", reply.Detail);

        var noDeadline = await ProbeCalls.EchoAsync(new ProbeRequest(), App("probe"));
        Assert.Contains("deadline=none", noDeadline.Detail);
    }

    [Fact]
    public async Task An_unhandled_exception_is_internal_with_type_message_and_stack()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.FailAsync(new ProbeRequest { Text = "boom" }, App("probe")));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.StartsWith("System.InvalidOperationException: boom", ex.Status.Detail);
        Assert.Contains(" at ", ex.Status.Detail);
    }

    [Fact]
    public async Task An_rpc_exception_keeps_its_code_and_trailers_after_request_id()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await ProbeCalls.FailWithStatusAsync(new ProbeRequest { Text = "no such thing", Count = (int)StatusCode.FailedPrecondition }, App("probe")));
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("no such thing", ex.Status.Detail);
        Assert.Equal(["request_id", "probe-reason"], ex.Trailers.Select(e => e.Key));
    }

    [Fact]
    public async Task A_trailer_key_the_method_repeats_arrives_once_per_value_after_one_request_id()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await ProbeCalls.FailWithStatusAsync(new ProbeRequest { Text = "tags", Number = 3, Count = (int)StatusCode.Aborted }, App("probe")));
        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
        Assert.Equal(["request_id", "probe-reason", "probe-tag", "probe-tag", "probe-tag"], ex.Trailers.Select(e => e.Key));
        Assert.Equal(["t0", "t1", "t2"], ex.Trailers.Where(e => e.Key == "probe-tag").Select(e => e.Value));
        Assert.True(Guid.TryParse(ex.Trailers.GetValue("request_id"), out _));
    }

    [Theory]
    [InlineData("naïve ☃")]
    [InlineData("two\nlines")]
    public async Task Trailing_metadata_gRPC_cannot_send_is_an_internal_error_naming_the_key_not_a_reset_stream(string text)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await ProbeCalls.FailWithStatusAsync(new ProbeRequest { Text = text, Count = (int)StatusCode.FailedPrecondition }, App("probe")));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal(
            "Trailing metadata 'probe-reason' set by the deployment has a value gRPC cannot send: text values must be printable ASCII (0x20-0x7E). "
            + "Send other text as UTF-8 bytes under a key ending in '-bin'. (The call's own status was FailedPrecondition.)",
            ex.Status.Detail);
        Assert.Equal(["request_id"], ex.Trailers.Select(e => e.Key));
        // The connection and the server are fine.
        var again = await Assert.ThrowsAsync<RpcException>(async () =>
            await ProbeCalls.FailWithStatusAsync(new ProbeRequest { Text = "plain", Count = (int)StatusCode.FailedPrecondition }, App("probe")));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
    }

    [Fact]
    public async Task A_stream_that_throws_ends_with_internal_after_the_messages_sent()
    {
        using var call = ProbeCalls.StreamThenFail(new ProbeRequest { Text = "s", Count = 3 }, App("probe"));
        var received = new List<ProbeReply>();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in call.ResponseStream.ReadAllAsync())
            {
                received.Add(reply);
            }
        });
        Assert.Equal(["s 0", "s 1", "s 2"], received.Select(r => r.Text));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("s failed after 3", ex.Status.Detail);
        Assert.Equal("request_id", ex.Trailers[0].Key);
    }

    [Fact]
    public async Task A_client_leaving_a_stream_cancels_the_deployment_method()
    {
        var text = "leave-" + Guid.NewGuid();
        var call = ProbeCalls.StreamUntilCancelled(new ProbeRequest { Text = text }, App("probe"));
        var count = 0;
        await foreach (var _ in call.ResponseStream.ReadAllAsync())
        {
            if (++count == 3)
            {
                break;
            }
        }
        call.Dispose();
        await WaitUntil(() => ProbeLog.Cancelled.TryGetValue(text, out var cancelled) && cancelled);
        Assert.True(ProbeLog.Produced[text] >= 3, $"produced {ProbeLog.Produced[text]}");
    }

    [Fact]
    public async Task A_client_cancelling_a_unary_call_fires_the_methods_token()
    {
        var text = "cancel-" + Guid.NewGuid();
        using var cts = new CancellationTokenSource();
        var call = ProbeCalls.SleepAsync(new ProbeRequest { Text = text, DelayMs = 30_000 }, App("probe", cancellationToken: cts.Token));
        await WaitUntil(() => ProbeLog.Started.ContainsKey(text));
        cts.Cancel();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await WaitUntil(() => ProbeLog.Cancelled.ContainsKey(text));
    }

    [Fact]
    public async Task Client_streaming_sums_every_message()
    {
        using var call = ProbeCalls.Sum(App("probe"));
        for (var i = 1; i <= 100; i++)
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Number = i });
        }
        await call.RequestStream.CompleteAsync();
        var reply = await call;
        Assert.Equal(5050, reply.Number);
        Assert.Equal("100 messages", reply.Text);
        Assert.Equal("request_id", call.GetTrailers()[0].Key);
    }

    [Fact]
    public async Task Duplex_streaming_answers_each_message_as_it_arrives()
    {
        using var call = ProbeCalls.Chat(App("probe"));
        await using var replies = call.ResponseStream.ReadAllAsync().GetAsyncEnumerator();
        foreach (var word in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Text = word });
            Assert.True(await replies.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("echo: " + word, replies.Current.Text);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await replies.MoveNextAsync());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Multiplexed_requests_stick_to_the_replica_holding_the_model()
    {
        var model = "sticky-" + Guid.NewGuid();
        var replicas = new HashSet<string>();
        for (var i = 0; i < 20; i++)
        {
            var reply = await ProbeCalls.ModelAsync(new ProbeRequest(), App("probe", extra: new Metadata { { "multiplexed_model_id", model } }));
            Assert.Equal(model, reply.Text);
            replicas.Add(reply.Replica);
        }
        Assert.Single(replicas);
        Assert.Equal(1, ProbeLog.Loads[model]);
    }

    [Fact]
    public async Task A_request_without_a_model_id_is_invalid_for_a_multiplexed_method()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.ModelAsync(new ProbeRequest(), App("probe")));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("multiplexed_model_id", ex.Status.Detail);
    }

    [Fact]
    public async Task Each_replica_keeps_at_most_its_model_limit_and_disposes_evicted_models()
    {
        await using var single = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(probeReplicas: 1));
        var client = new ProbeService.ProbeClient(single.Channel);
        var prefix = Guid.NewGuid().ToString("N")[..6];
        string Id(int n) => $"{prefix}-m{n}";
        Task<ProbeReply> Call(int n) => client.ModelAsync(new ProbeRequest(), App("probe", extra: new Metadata { { "multiplexed_model_id", Id(n) } })).ResponseAsync;

        await Call(1);
        await Call(2);
        await Call(3); // MaxModelsPerReplica = 2: m1, the least recently used, goes.
        Assert.Equal(1, ProbeLog.Disposals.GetValueOrDefault(Id(1)));
        Assert.Equal(0, ProbeLog.Disposals.GetValueOrDefault(Id(2)));
        await Call(1);
        Assert.Equal(2, ProbeLog.Loads[Id(1)]);
        Assert.Equal(1, ProbeLog.Disposals.GetValueOrDefault(Id(2)));
    }

    [Fact]
    public async Task Request_timeout_answers_deadline_exceeded_and_cancels_the_method()
    {
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(new GrpcOptions { RequestTimeoutS = 0.3 }));
        var client = new ProbeService.ProbeClient(host.Channel);
        var text = "timeout-" + Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.SleepAsync(new ProbeRequest { Text = text, DelayMs = 30_000 }, App("probe")));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Equal("Request timed out after 0.3s.", ex.Status.Detail);
        // A loaded machine may not have started the method before the deadline; if it did, it was cancelled.
        await WaitUntil(() => !ProbeLog.Started.ContainsKey(text) || ProbeLog.Cancelled.ContainsKey(text));
    }

    [Fact]
    public async Task The_deadline_is_answered_on_time_even_when_the_method_ignores_its_token()
    {
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(new GrpcOptions { RequestTimeoutS = 0.3 }));
        var client = new ProbeService.ProbeClient(host.Channel);
        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.SleepIgnoringTokenAsync(new ProbeRequest { DelayMs = 3000 }, App("probe")));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2.5), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task The_clients_shorter_deadline_wins_over_request_timeout()
    {
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(new GrpcOptions { RequestTimeoutS = 60 }));
        var client = new ProbeService.ProbeClient(host.Channel);
        var text = "client-deadline-" + Guid.NewGuid();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.SleepAsync(new ProbeRequest { Text = text, DelayMs = 30_000 }, App("probe", deadline: DateTime.UtcNow.AddMilliseconds(300))));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await WaitUntil(() => !ProbeLog.Started.ContainsKey(text) || ProbeLog.Cancelled.ContainsKey(text));
    }

    [Fact]
    public async Task Backpressure_past_max_queued_requests_is_resource_exhausted()
    {
        var tight = new[] { new DeploymentConfig { Name = "ProbeDeployment", NumReplicas = 1, MaxOngoingRequests = 1, MaxQueuedRequests = 1 } };
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(probeDeployments: tight));
        var client = new ProbeService.ProbeClient(host.Channel);
        using var cts = new CancellationTokenSource();
        var running = client.SleepAsync(new ProbeRequest { Text = "bp-1-" + Guid.NewGuid(), DelayMs = 30_000 }, App("probe", cancellationToken: cts.Token));
        var router = host.Host.Controller.Routes.Applications["probe"].Ingress.Router;
        await WaitUntil(() => router.Replicas[0].Ongoing == 1);
        var queued = client.SleepAsync(new ProbeRequest { Text = "bp-2-" + Guid.NewGuid(), DelayMs = 30_000 }, App("probe", cancellationToken: cts.Token));
        await WaitUntil(() => router.Queued == 1);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.EchoAsync(new ProbeRequest(), App("probe")));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.StartsWith("Request dropped due to backpressure (num_queued_requests=1, max_queued_requests=1)", ex.Status.Detail);
        cts.Cancel();
        await Assert.ThrowsAsync<RpcException>(() => running.ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => queued.ResponseAsync);
        await WaitUntil(() => router.Replicas[0].Ongoing == 0 && router.Queued == 0);
        Assert.Equal("after", (await client.EchoAsync(new ProbeRequest { Text = "after" }, App("probe"))).Text);
    }

    [Fact]
    public async Task Max_receive_message_length_is_configurable()
    {
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(new GrpcOptions { MaxReceiveMessageLength = 1024 }));
        var client = new ProbeService.ProbeClient(host.Channel);
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.EchoAsync(new ProbeRequest { Text = new string('x', 2000) }, App("probe")));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("small", (await client.EchoAsync(new ProbeRequest { Text = "small" }, App("probe"))).Text);
    }

    [Fact]
    public async Task A_grpc_message_larger_than_the_http_body_limit_is_served_within_the_grpc_limit()
    {
        // Kestrel's body limit (max_request_body_size) is server-wide; gRPC calls answer to max_receive_message_length only.
        var config = ServeTestHost.MultiAppConfig() with { HttpOptions = new HttpOptions { Port = 0, MaxRequestBodySize = 1000 } };
        await using var host = await ServeTestHost.StartAsync(config);
        var client = new ProbeService.ProbeClient(host.Channel);
        var text = new string('x', 50_000);
        Assert.Equal(text, (await client.EchoAsync(new ProbeRequest { Text = text }, App("probe"))).Text);
    }

    [Fact]
    public async Task While_draining_the_serve_api_and_http_health_report_unavailable()
    {
        await using var host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig());
        var api = new Serve.Protos.RayServeAPIService.RayServeAPIServiceClient(host.Channel);
        Assert.Equal(["app1", "context", "probe", "tight"], (await api.ListApplicationsAsync(new Serve.Protos.ListApplicationsRequest())).ApplicationNames);

        host.Host.Controller.BeginDrain();

        foreach (var call in new Func<Task>[]
        {
            async () => await api.HealthzAsync(new Serve.Protos.HealthzRequest()),
            async () => await api.ListApplicationsAsync(new Serve.Protos.ListApplicationsRequest()),
        })
        {
            var ex = await Assert.ThrowsAsync<RpcException>(call);
            Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
            Assert.Equal("This node is being drained.", ex.Status.Detail);
        }
        using var http = new HttpClient();
        var response = await http.GetAsync($"http://127.0.0.1:{host.Host.HttpPort}/-/healthz");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("This node is being drained.", await response.Content.ReadAsStringAsync());
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
