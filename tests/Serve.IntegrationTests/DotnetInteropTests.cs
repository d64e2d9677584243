using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Serve.Config;
using Serve.IntegrationTests.Probe;
using Serve.Protos;
using Userdefinedprotos;
using ProbeService = Serve.IntegrationTests.Probe.Probe;

namespace Serve.IntegrationTests;

/// <summary>
/// The third interop peer: grpc-dotnet (Grpc.Net.Client on SocketsHttpHandler, Grpc.Tools-generated clients), a gRPC
/// stack sharing no code with Python's grpcio (C-core) or Node's @grpc/grpc-js. It makes the calls the other two peers
/// make, against the same hosts, expecting the same values; one [Fact] per case, named after it.
/// <para>
/// The list of interop cases (py = interop/python_client.py or python_parity_client.py, node = interop/node/client.js or parity_client.js):
/// </para>
/// <code>
/// host: the quickstart, single-app.yaml (app1 alone)          py  node .NET
///   unary: status OK, greeting, num                           x   x    x   Guide_unary_*
///   unary: trailers start with a generated UUID request_id    x   x    x   Guide_unary_*
///   request_id sent in metadata is echoed in the trailers     x   x    x   Guide_request_id_*
///   multiplexing with the guide's metadata                    x   x    x   Guide_multiplexing_*
///   server streaming: 10 messages, OK, request_id trailer     x   x    x   Guide_streaming_*
///   Serve API: ListApplications [app1], Healthz success       x   x    x   Guide_serve_api_*
///   unknown application: NOT_FOUND, Ray's message, request_id x   x    x   Guide_unknown_application_*
///   unknown method and wrong case: UNIMPLEMENTED              x   x    x   Guide_unknown_method_*
///   still serving after the errors                            x   x    x   (end of each error case)
/// host: app1, context, probe, tight; responses gzipped        py  node .NET
///   no application metadata with several apps: NOT_FOUND      x   x    x   Routing_*
///   unknown application: NOT_FOUND, Ray's message             x   x    x   Routing_*
///   app without the called service: UNIMPLEMENTED             x   x    x   Routing_*
///   metadata routes to app1 and to probe                      x   x    x   Routing_*
///   request_id echoed first                                   x   x    x   Request_id_*
///   multiplexing, and a model stays on one replica            x   x    x   Multiplexing_*
///   gRPC context: INVALID_ARGUMENT then OK, num trailer       x   x    x   Grpc_context_*
///   unhandled exception: INTERNAL with type and message       x   x    x   Status_*
///   unparseable request: INVALID_ARGUMENT naming the type     x   x    x   Status_*
///   client deadline: DEADLINE_EXCEEDED                        x   x    x   Deadline_*
///   60-day and 100-year deadlines are served                  x   x    x   Deadline_*
///   client cancel: CANCELLED                                  x   x    x   Cancel_*
///   backpressure: RESOURCE_EXHAUSTED                          x   x    x   Backpressure_*
///   stream failing mid-way: messages sent, then INTERNAL      x   x    x   Streaming_*
///   client streaming and bidirectional streaming              x   x    x   Streaming_*
///   gzip request, gzip response                               x   x    x   Compression_*
///   still serving after everything                            x   x    x   (end of each error case)
/// </code>
/// </summary>
[Collection(QuickstartCollection.Name)]
public sealed class DotnetInteropTests(QuickstartHostFixture quickstart, DotnetInteropTests.ParityHostFixture parity)
    : IClassFixture<DotnetInteropTests.ParityHostFixture>
{
    private const string UnknownApp = "Application 'nope' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.";
    private const string NoApp = "Application metadata not set. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.";
    private static readonly UserDefinedMessage s_request = new() { Name = "foo", Num = 30, Origin = "bar" };

    /// <summary>The parity client's host: the multi-app config with gzip responses, as PythonInteropTests starts it.</summary>
    public sealed class ParityHostFixture : IAsyncLifetime
    {
        public ServeTestHost Host { get; private set; } = null!;

        public async Task InitializeAsync()
            => Host = await ServeTestHost.StartAsync(ServeTestHost.MultiAppConfig(new GrpcOptions { ResponseCompression = GrpcResponseCompression.Gzip }));

        public async Task DisposeAsync() => await Host.DisposeAsync();
    }

    private UserDefinedService.UserDefinedServiceClient Guide => new(quickstart.Channel);

    private UserDefinedService.UserDefinedServiceClient User => new(parity.Host.Channel);

    private ProbeService.ProbeClient ProbeCalls => new(parity.Host.Channel);

    private static Metadata Headers(params (string Key, string Value)[] entries)
    {
        var headers = new Metadata();
        foreach (var (key, value) in entries)
        {
            headers.Add(key, value);
        }
        return headers;
    }

    private static CallOptions App(string app, params (string Key, string Value)[] extra)
        => new(Headers([("application", app), .. extra]));

    // ---------------------------------------------------------------- the quickstart (single app)

    [Fact]
    public async Task Guide_unary_answers_ok_with_the_greeting()
    {
        using var call = Guide.__call__Async(s_request);
        var response = await call;
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("Hello foo from bar", response.Greeting);
        Assert.Equal(60, response.Num);
    }

    [Fact]
    public async Task Guide_unary_trailers_start_with_a_generated_uuid_request_id()
    {
        using var call = Guide.__call__Async(s_request);
        await call;
        var first = call.GetTrailers()[0];
        Assert.Equal("request_id", first.Key);
        Assert.True(Guid.TryParseExact(first.Value, "D", out _), first.Value);
    }

    [Fact]
    public async Task Guide_request_id_sent_in_metadata_is_echoed()
    {
        using var call = Guide.__call__Async(s_request, new CallOptions(Headers(("request_id", "abc-123"))));
        await call;
        Assert.Equal("abc-123", call.GetTrailers().GetValue("request_id"));
    }

    [Fact]
    public async Task Guide_multiplexing_names_the_model_and_echoes_the_request_id()
    {
        using var call = Guide.MultiplexingAsync(new UserDefinedMessage2(), App("app1", ("request_id", "123"), ("multiplexed_model_id", "999")));
        var response = await call;
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("Method2 called model, loading model: 999", response.Greeting);
        Assert.Equal("123", call.GetTrailers().GetValue("request_id"));
    }

    [Fact]
    public async Task Guide_streaming_sends_ten_messages_then_ok_with_request_id_first()
    {
        using var call = Guide.Streaming(s_request, App("app1"));
        var items = new List<string>();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            items.Add($"{message.Greeting}|{message.Num}");
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i}: Hello foo from bar|{60 + i}"), items);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("request_id", call.GetTrailers()[0].Key);
    }

    [Fact]
    public async Task Guide_serve_api_lists_app1_and_healthz_is_success()
    {
        var api = new RayServeAPIService.RayServeAPIServiceClient(quickstart.Channel);
        Assert.Equal(["app1"], (await api.ListApplicationsAsync(new ListApplicationsRequest())).ApplicationNames);
        Assert.Equal("success", (await api.HealthzAsync(new HealthzRequest())).Message);
    }

    [Fact]
    public async Task Guide_unknown_application_is_not_found_with_rays_message_and_request_id_first()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await Guide.__call__Async(s_request, App("nope")));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal(UnknownApp, ex.Status.Detail);
        Assert.Equal("request_id", ex.Trailers[0].Key);
        await AssertGuideStillServes();
    }

    [Fact]
    public async Task Guide_unknown_method_and_wrong_case_are_unimplemented()
    {
        foreach (var name in new[] { "NoSuchMethod", "__CALL__" })
        {
            var method = RawGrpc.Unary<UserDefinedMessage, UserDefinedResponse>("userdefinedprotos.UserDefinedService", name);
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await quickstart.Channel.Call(method, s_request));
            Assert.True(ex.StatusCode == StatusCode.Unimplemented, $"{name}: {ex.Status}");
        }
        await AssertGuideStillServes();
    }

    /// <summary>Both other peers' last call: Python's request again, Node's with other values.</summary>
    private async Task AssertGuideStillServes()
    {
        Assert.Equal(60, (await Guide.__call__Async(s_request)).Num);
        var again = await Guide.__call__Async(new UserDefinedMessage { Name = "again", Num = 21, Origin = "node" });
        Assert.Equal("Hello again from node", again.Greeting);
        Assert.Equal(42, again.Num);
    }

    // ---------------------------------------------------------------- the parity host (several apps, gzip responses)

    [Fact]
    public async Task Routing_without_application_metadata_among_several_apps_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await User.__call__Async(s_request));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal(NoApp, ex.Status.Detail);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Routing_to_an_unknown_application_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await User.__call__Async(s_request, App("nope")));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal(UnknownApp, ex.Status.Detail);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Routing_to_an_app_without_the_service_is_unimplemented()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.EchoAsync(new ProbeRequest(), App("app1")));
        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Routing_by_metadata_reaches_app1_and_probe()
    {
        Assert.Equal("Hello foo from bar", (await User.__call__Async(s_request, App("app1"))).Greeting);
        Assert.Equal("hi", (await ProbeCalls.EchoAsync(new ProbeRequest { Text = "hi" }, App("probe"))).Text);
    }

    [Fact]
    public async Task Request_id_is_echoed_first_in_the_trailers()
    {
        using var call = User.__call__Async(s_request, App("app1", ("request_id", "rid-1")));
        await call;
        var first = call.GetTrailers()[0];
        Assert.Equal(("request_id", "rid-1"), (first.Key, first.Value));
    }

    [Fact]
    public async Task Multiplexing_names_the_model_as_in_the_guide()
    {
        var response = await User.MultiplexingAsync(new UserDefinedMessage2(), App("app1", ("request_id", "123"), ("multiplexed_model_id", "999")));
        Assert.Equal("Method2 called model, loading model: 999", response.Greeting);
    }

    [Fact]
    public async Task Multiplexing_keeps_a_model_on_one_replica()
    {
        var replicas = new HashSet<string>();
        for (var i = 0; i < 10; i++)
        {
            replicas.Add((await ProbeCalls.ModelAsync(new ProbeRequest(), App("probe", ("multiplexed_model_id", "dotnet-model")))).Replica);
        }
        Assert.Single(replicas);
    }

    [Fact]
    public async Task Grpc_context_example_is_invalid_argument_then_ok_with_the_num_trailer()
    {
        using var first = User.__call__Async(s_request, App("context"));
        var ex = await Assert.ThrowsAsync<RpcException>(() => first.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("foo not found, adding to nums.", ex.Status.Detail);
        Assert.Equal("0", ex.Trailers.GetValue("num"));
        Assert.NotNull(ex.Trailers.GetValue("request_id"));

        using var second = User.__call__Async(s_request, App("context"));
        await second;
        Assert.Equal(StatusCode.OK, second.GetStatus().StatusCode);
        Assert.Equal("foo found.", second.GetStatus().Detail);
        Assert.Equal("0", second.GetTrailers().GetValue("num"));
    }

    [Fact]
    public async Task Status_of_an_unhandled_exception_is_internal_with_its_type_and_message()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.FailAsync(new ProbeRequest { Text = "boom" }, App("probe")));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("System.InvalidOperationException: boom", ex.Status.Detail);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Status_of_an_unparseable_request_is_invalid_argument_naming_the_type()
    {
        // Bytes no protobuf parser accepts: a generated client cannot send them, a byte marshaller can.
        var bytes = Marshallers.Create((byte[] b) => b, b => b);
        var echo = new Method<byte[], byte[]>(MethodType.Unary, "servetesting.Probe", "Echo", bytes, bytes);
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await parity.Host.Channel.CreateCallInvoker().AsyncUnaryCall(echo, null, App("probe"), [0xFF, 0xFF, 0xFF]));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("servetesting.ProbeRequest", ex.Status.Detail);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Deadline_of_the_client_passing_is_deadline_exceeded()
    {
        var options = App("probe").WithDeadline(DateTime.UtcNow.AddMilliseconds(300));
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
            await ProbeCalls.SleepAsync(new ProbeRequest { Text = "dotnet-deadline-" + Guid.NewGuid(), DelayMs = 30_000 }, options));
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Deadline_of_60_days_or_100_years_is_served()
    {
        // Longer than any server timer holds: such deadlines mean no practical deadline.
        foreach (var deadline in new[] { DateTime.UtcNow.AddDays(60), DateTime.UtcNow.AddYears(100) })
        {
            var response = await User.__call__Async(s_request, App("app1").WithDeadline(deadline));
            Assert.Equal(60, response.Num);
        }
    }

    [Fact]
    public async Task Cancel_by_the_client_is_cancelled()
    {
        var text = "dotnet-cancel-" + Guid.NewGuid();
        using var cts = new CancellationTokenSource();
        using var call = ProbeCalls.SleepAsync(new ProbeRequest { Text = text, DelayMs = 30_000 }, App("probe").WithCancellationToken(cts.Token));
        // Cancel once the method runs (the other peers wait a fixed 0.2 s; the in-process log says when).
        await WaitUntil(() => ProbeLog.Started.ContainsKey(text));
        await cts.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Backpressure_past_one_running_and_one_queued_is_resource_exhausted()
    {
        // "tight": one replica, max_ongoing_requests 1, max_queued_requests 1.
        var router = parity.Host.Host.Controller.Routes.Applications["tight"].Ingress.Router;
        using var cts = new CancellationTokenSource();
        var sleep = new ProbeRequest { DelayMs = 30_000 };
        using var running = ProbeCalls.SleepAsync(new ProbeRequest(sleep) { Text = "dotnet-bp-1-" + Guid.NewGuid() }, App("tight").WithCancellationToken(cts.Token));
        await WaitUntil(() => router.Replicas[0].Ongoing == 1);
        using var queued = ProbeCalls.SleepAsync(new ProbeRequest(sleep) { Text = "dotnet-bp-2-" + Guid.NewGuid() }, App("tight").WithCancellationToken(cts.Token));
        await WaitUntil(() => router.Queued == 1);

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.EchoAsync(new ProbeRequest(), App("tight")));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("Request dropped due to backpressure", ex.Status.Detail);

        await cts.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => running.ResponseAsync);
        await Assert.ThrowsAsync<RpcException>(() => queued.ResponseAsync);
        await WaitUntil(() => router.Replicas[0].Ongoing == 0 && router.Queued == 0);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Streaming_that_fails_mid_way_keeps_the_messages_sent_then_is_internal()
    {
        using var call = ProbeCalls.StreamThenFail(new ProbeRequest { Text = "s", Count = 3 }, App("probe"));
        var received = new List<string>();
        var ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var reply in call.ResponseStream.ReadAllAsync())
            {
                received.Add(reply.Text);
            }
        });
        Assert.Equal(["s 0", "s 1", "s 2"], received);
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("s failed after 3", ex.Status.Detail);
        await AssertParityStillServes();
    }

    [Fact]
    public async Task Streaming_from_the_client_sums_every_message()
    {
        using var call = ProbeCalls.Sum(App("probe"));
        for (var i = 1; i <= 10; i++)
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Number = i });
        }
        await call.RequestStream.CompleteAsync();
        var total = await call;
        Assert.Equal((55L, "10 messages"), (total.Number, total.Text));
    }

    [Fact]
    public async Task Streaming_both_ways_echoes_each_message()
    {
        using var call = ProbeCalls.Chat(App("probe"));
        foreach (var text in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Text = text });
        }
        await call.RequestStream.CompleteAsync();
        var replies = new List<string>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            replies.Add(reply.Text);
        }
        Assert.Equal(["echo: a", "echo: b", "echo: c"], replies);
    }

    [Fact]
    public async Task Compression_gzip_request_and_gzip_response()
    {
        // grpc-dotnet compresses a request when this metadata names a provider it has (gzip is one by default) and
        // advertises gzip in grpc-accept-encoding; the host gzips its responses to clients that accept it.
        var wire = new WireTap();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{parity.Host.GrpcPort}", new GrpcChannelOptions { HttpHandler = wire });
        var response = await new UserDefinedService.UserDefinedServiceClient(channel)
            .__call__Async(s_request, App("app1", ("grpc-internal-encoding-request", "gzip")));

        Assert.Equal(60, response.Num);
        Assert.Equal(("gzip", 1), (wire.RequestEncoding, wire.RequestFlag));
        Assert.Equal(("gzip", 1), (wire.ResponseEncoding, wire.ResponseFlag));
        await AssertParityStillServes();
    }

    [Theory]
    [InlineData("", "gzip", 1)]          // the host's default (response_compression: gzip)
    [InlineData("identity", null, 0)]    // the method turned it off for this call
    [InlineData("gzip", "gzip", 1)]
    public async Task Compression_chosen_by_the_method_through_its_context(string algorithm, string? encoding, int flag)
    {
        var wire = new WireTap();
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{parity.Host.GrpcPort}", new GrpcChannelOptions { HttpHandler = wire });
        var reply = await new ProbeService.ProbeClient(channel).CompressedAsync(new ProbeRequest { Text = algorithm }, App("probe"));

        Assert.Equal(4096, reply.Text.Length);
        Assert.Equal((encoding, flag), (wire.ResponseEncoding, wire.ResponseFlag));
    }

    [Fact]
    public async Task Compression_a_client_that_does_not_accept_gzip_gets_identity_whatever_the_method_chose()
    {
        var wire = new WireTap();
        // No compression providers: the client advertises identity only.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{parity.Host.GrpcPort}",
            new GrpcChannelOptions { HttpHandler = wire, CompressionProviders = [] });
        var reply = await new ProbeService.ProbeClient(channel).CompressedAsync(new ProbeRequest { Text = "gzip" }, App("probe"));

        Assert.Equal(4096, reply.Text.Length);
        Assert.Equal(((string?)null, 0), (wire.ResponseEncoding, wire.ResponseFlag));
    }

    [Fact]
    public async Task Compression_an_algorithm_Serve_does_not_have_fails_the_call_saying_so()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await ProbeCalls.CompressedAsync(new ProbeRequest { Text = "deflate" }, App("probe")));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Contains("Unsupported response compression 'deflate': Serve compresses responses with \"gzip\" or not at all (\"identity\").", ex.Status.Detail);
        await AssertParityStillServes();
    }

    private async Task AssertParityStillServes() => Assert.Equal(60, (await User.__call__Async(s_request, App("app1"))).Num);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Records what one call put on the wire: each direction's grpc-encoding header and the compressed flag of its
    /// first message (the frame's first byte), which says whether the message itself was compressed.
    /// </summary>
    internal sealed class WireTap() : DelegatingHandler(new SocketsHttpHandler())
    {
        public string? RequestEncoding { get; private set; }
        public int RequestFlag { get; private set; } = -1;
        public string? ResponseEncoding { get; private set; }
        public int ResponseFlag { get; private set; } = -1;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            RequestEncoding = request.Headers.TryGetValues("grpc-encoding", out var sent) ? string.Join(",", sent) : null;
            request.Content = new TappedContent(request.Content!, b => RequestFlag = b);
            var response = await base.SendAsync(request, cancellationToken);
            ResponseEncoding = response.Headers.TryGetValues("grpc-encoding", out var received) ? string.Join(",", received) : null;
            // The trailers stay on the response message; the client reads them once the tapped body ends.
            response.Content = new TappedContent(response.Content, b => ResponseFlag = b);
            return response;
        }
    }

    /// <summary>Passes a body through unchanged, reporting its first byte.</summary>
    private sealed class TappedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly Action<int> _onFirstByte;

        public TappedContent(HttpContent inner, Action<int> onFirstByte)
        {
            _inner = inner;
            _onFirstByte = onFirstByte;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            => _inner.CopyToAsync(new TapStream(stream, _onFirstByte));

        protected override async Task<Stream> CreateContentReadStreamAsync()
            => new TapStream(await _inner.ReadAsStreamAsync(), _onFirstByte);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>A stream read or written through, reporting the first byte that passes.</summary>
    private sealed class TapStream(Stream inner, Action<int> onFirstByte) : Stream
    {
        private bool _seen;

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Saw(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            return Saw(buffer.Span[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Saw(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Saw(buffer.Span);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        private int Saw(ReadOnlySpan<byte> bytes)
        {
            if (!_seen && bytes.Length > 0)
            {
                _seen = true;
                onFirstByte(bytes[0]);
            }
            return bytes.Length;
        }
    }
}
