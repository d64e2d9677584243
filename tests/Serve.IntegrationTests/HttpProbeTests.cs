using System.Net;
using System.Text;
using Grpc.Core;
using Serve.Config;
using Serve.IntegrationTests.Probe;

namespace Serve.IntegrationTests;

/// <summary>The HTTP proxy's edge cases against the probe deployment's routes.</summary>
public sealed class HttpProbeTests
{
    private static ServeConfig Config(HttpOptions? http = null)
    {
        var config = ServeTestHost.MultiAppConfig();
        return config with { HttpOptions = (http ?? new HttpOptions()) with { Port = 0 } };
    }

    private static HttpClient Client(ServeTestHost host) => new() { BaseAddress = new Uri($"http://127.0.0.1:{host.Host.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Routes_bind_path_and_query_under_the_route_prefix_and_echo_the_request_id()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/probe/echo/42?q=hi");
        request.Headers.Add("x-request-id", "rid-7");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("42:hi:probe", await response.Content.ReadAsStringAsync());
        Assert.Equal("rid-7", response.Headers.GetValues("x-request-id").Single());

        using var generated = await client.GetAsync("/probe/echo/1");
        Assert.True(Guid.TryParse(generated.Headers.GetValues("x-request-id").Single(), out _));
    }

    [Fact]
    public async Task Repeated_query_values_and_headers_reach_the_deployment_in_order()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/probe/values?tag=a&other=1&tag=b");
        // Header names are matched without case. HttpClient sends the two values on one line, as HTTP allows,
        // and the deployment sees that line as it came.
        request.Headers.TryAddWithoutValidation("x-tag", "h1");
        request.Headers.TryAddWithoutValidation("X-Tag", "h2");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a,b|h1, h2|3", await response.Content.ReadAsStringAsync());

        // No query string at all: no values, and the route still binds.
        Assert.Equal("||0", await client.GetStringAsync("/probe/values"));
    }

    [Fact]
    public async Task Root_path_puts_every_route_under_it()
    {
        await using var host = await ServeTestHost.StartAsync(Config(new HttpOptions { RootPath = "/api" }));
        using var client = Client(host);
        Assert.Equal("5:x:probe", await client.GetStringAsync("/api/probe/echo/5?q=x"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/probe/echo/5")).StatusCode);
        Assert.Equal("success", await client.GetStringAsync("/api/-/healthz"));
    }

    [Fact]
    public async Task Request_timeout_is_408_and_cancels_the_method()
    {
        await using var host = await ServeTestHost.StartAsync(Config(new HttpOptions { RequestTimeoutS = 0.3 }));
        using var client = Client(host);
        var text = "http-timeout-" + Guid.NewGuid();
        using var response = await client.GetAsync($"/probe/sleep?ms=30000&text={text}");
        Assert.Equal(HttpStatusCode.RequestTimeout, response.StatusCode);
        Assert.Equal("Request timed out after 0.3s.", await response.Content.ReadAsStringAsync());
        // A loaded machine may not have started the method before the deadline; if it did, it was cancelled.
        await WaitUntil(() => !ProbeLog.Started.ContainsKey(text) || ProbeLog.Cancelled.ContainsKey(text));
    }

    [Fact]
    public async Task Timeouts_longer_than_a_timer_can_hold_mean_no_practical_limit()
    {
        // Ray takes any number of seconds; a CancellationTokenSource holds ~24.8 days and TimeSpan ~29,000 years.
        var config = ServeTestHost.MultiAppConfig(
            new GrpcOptions { RequestTimeoutS = 1e300 },
            probeDeployments: [new DeploymentConfig { Name = "ProbeDeployment", GracefulShutdownTimeoutS = 1e300 }]);
        config = config with { HttpOptions = new HttpOptions { Port = 0, RequestTimeoutS = 1e300, KeepAliveTimeoutS = 1e300 } };
        await using var host = await ServeTestHost.StartAsync(config);
        using var client = Client(host);

        Assert.Equal("7:x:probe", await client.GetStringAsync("/probe/echo/7?q=x"));
        var probe = new Probe.Probe.ProbeClient(host.Channel);
        var reply = await probe.EchoAsync(new ProbeRequest { Text = "long" }, new CallOptions(new Metadata { { "application", "probe" } }));
        Assert.Equal("long", reply.Text);
        Assert.Contains("deadline=set", reply.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_within_the_limit_fits_a_memory_limit_of_that_size_on_its_own()
    {
        // The smallest memory limit allowed: one largest body.
        await using var host = await ServeTestHost.StartAsync(Config(new HttpOptions { MaxRequestBodySize = 1 << 20, RequestBodyMemoryLimit = 1 << 20 }));
        using var client = Client(host);
        foreach (var length in new[] { 10, 20_000, (1 << 20) - 1000 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/probe/upload") { Content = new StreamContent(new MemoryStream(new byte[length])) };
            request.Headers.TransferEncodingChunked = true;
            using var response = await client.SendAsync(request);
            Assert.Equal((HttpStatusCode.OK, length.ToString(System.Globalization.CultureInfo.InvariantCulture)), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        }

        // A tiny limit too: the default memory limit for max_request_body_size 1000 is 4000 bytes.
        await using var small = await ServeTestHost.StartAsync(Config(new HttpOptions { MaxRequestBodySize = 1000 }));
        using var smallClient = Client(small);
        using var tiny = new HttpRequestMessage(HttpMethod.Post, "/probe/upload") { Content = new StreamContent(new MemoryStream(new byte[10])) };
        tiny.Headers.TransferEncodingChunked = true;
        Assert.Equal("10", await (await smallClient.SendAsync(tiny)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Absolute_form_and_asterisk_targets_match_no_route_prefix()
    {
        // The probe at "/": any path starting with "/" is its.
        var config = Config();
        await using var host = await ServeTestHost.StartAsync(config with { Applications = [config.Applications.Single(a => a.Name == "probe") with { RoutePrefix = "/" }] });
        foreach (var target in new[] { $"http://127.0.0.1:{host.Host.HttpPort}/echo/1", "*" })
        {
            var method = target == "*" ? "OPTIONS" : "GET";
            var answer = await HttpRequestIdTests.RawRequestAsync(host.Host.HttpPort!.Value, $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{host.Host.HttpPort}\r\nConnection: close\r\n\r\n");
            // The proxy's own 404, not the application's.
            Assert.True(answer.StartsWith("HTTP/1.1 404 ", StringComparison.Ordinal), answer);
            Assert.Contains($"Path '{target}' not found.", answer, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Backpressure_is_503_with_retry_after()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var cts = new CancellationTokenSource();
        var router = host.Host.Controller.Routes.Applications["tight"].Ingress.Router;
        var running = client.GetAsync($"/tight/sleep?ms=30000&text=bp-a-{Guid.NewGuid()}", cts.Token);
        await WaitUntil(() => router.Replicas[0].Ongoing == 1);
        var queued = client.GetAsync($"/tight/sleep?ms=30000&text=bp-b-{Guid.NewGuid()}", cts.Token);
        await WaitUntil(() => router.Queued == 1);

        using var response = await client.GetAsync("/tight/echo/1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.StartsWith("Request dropped due to backpressure", await response.Content.ReadAsStringAsync());
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await WaitUntil(() => router.Replicas[0].Ongoing == 0 && router.Queued == 0);
        Assert.Equal("1::tight", await client.GetStringAsync("/tight/echo/1"));
    }

    [Fact]
    public async Task An_unhandled_exception_is_500_with_its_text()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var response = await client.GetAsync("/probe/fail");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.StartsWith("System.InvalidOperationException: http boom", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_client_that_leaves_cancels_the_method()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        var text = "http-leave-" + Guid.NewGuid();
        using var cts = new CancellationTokenSource();
        var call = client.GetAsync($"/probe/sleep?ms=30000&text={text}", cts.Token);
        await WaitUntil(() => ProbeLog.Started.ContainsKey(text));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await WaitUntil(() => ProbeLog.Cancelled.ContainsKey(text));
    }

    [Fact]
    public async Task A_stream_is_flushed_per_item_and_cancelled_when_the_client_leaves()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        var text = "http-ticks-" + Guid.NewGuid();
        using (var response = await client.GetAsync($"/probe/ticks?text={text}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal($"{text} {i}", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
            }
        }
        await WaitUntil(() => ProbeLog.Cancelled.TryGetValue(text, out var cancelled) && cancelled);
        Assert.True(ProbeLog.Produced[text] >= 3, $"produced {ProbeLog.Produced[text]}");
    }

    [Fact]
    public async Task Server_sent_events_when_the_client_asks_for_them()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/probe/ticks?text=sse");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("data: sse 0", await reader.ReadLineAsync());
        Assert.Equal("", await reader.ReadLineAsync());
        Assert.Equal("data: sse 1", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_413_whether_their_length_is_declared_or_not()
    {
        await using var host = await ServeTestHost.StartAsync(Config(new HttpOptions { MaxRequestBodySize = 100 }));
        using var client = Client(host);
        Assert.Equal("50", await (await client.PostAsync("/probe/upload", new ByteArrayContent(new byte[50]))).Content.ReadAsStringAsync());

        // Expect: 100-continue, as clients send large uploads: the 413 arrives before any body is
        // sent (without it, the server's close can race the client's write).
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "/probe/upload") { Content = new ByteArrayContent(new byte[1000]) };
        oversized.Headers.ExpectContinue = true;
        using var declared = await client.SendAsync(oversized);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
        Assert.True(declared.Headers.ConnectionClose);

        // Chunked, so the length is found out while reading. The whole request goes out in one write: a client
        // still writing chunks when the server answers and closes can lose the answer to a reset.
        var undeclared = await HttpRequestIdTests.RawRequestAsync(host.Host.HttpPort!.Value,
            "POST /probe/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + "3e8\r\n" + new string('a', 1000) + "\r\n0\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 413 ", undeclared);
        Assert.Equal("50", await (await client.PostAsync("/probe/upload", new ByteArrayContent(new byte[50]))).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_response_header_with_a_line_break_is_refused_not_sent()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var response = await client.GetAsync("/probe/inject");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.False(response.Headers.Contains("x-probe"));
        Assert.Contains("line break", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Method_not_allowed_lists_the_allowed_methods()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var response = await client.PostAsync("/probe/echo/1", new StringContent(""));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("GET", string.Join(",", response.Content.Headers.Allow));
        Assert.Equal("{\"detail\":\"Method Not Allowed\"}", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/probe/nowhere")).StatusCode);
    }

    [Fact]
    public async Task The_multiplexed_model_header_selects_the_model()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/probe/model");
        request.Headers.Add("serve_multiplexed_model_id", "http-model-1");
        using var response = await client.SendAsync(request);
        Assert.Equal("http-model-1", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_invalid_route_value_is_422_naming_the_path_parameter()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var response = await client.GetAsync("/probe/echo/abc");
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"loc\":[\"path\",\"id\"]", body);
        Assert.Contains("int_parsing", body);
    }

    [Fact]
    public async Task Error_bodies_keep_quotes_and_angle_brackets_as_written()
    {
        await using var host = await ServeTestHost.StartAsync(Config());
        using var client = Client(host);
        using var response = await client.GetAsync("/probe/echo/it's%3Cé%3E");
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"input\":\"it's<é>\"", body);
        Assert.DoesNotContain("\\u", body);
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

/// <summary>Slow clients cannot hold a request open forever (Kestrel's limits, configured by the host).</summary>
public sealed class HttpSlowClientTests
{
    [Fact]
    public async Task A_body_trickling_below_the_minimum_rate_is_cut_off_and_the_server_keeps_serving()
    {
        var config = ServeTestHost.MultiAppConfig() with { HttpOptions = new HttpOptions { Port = 0 } };
        await using var host = await ServeTestHost.StartAsync(config);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, host.Host.HttpPort!.Value);
        var head = "POST /probe/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\nContent-Type: application/octet-stream\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));

        // One byte a second: far below 240 B/s. Kestrel gives up after its 5 s grace period.
        var received = new StringBuilder();
        var buffer = new byte[4096];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var reading = Task.Run(async () =>
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        });
        while (!reading.IsCompleted && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            try
            {
                await socket.SendAsync(new byte[] { (byte)'x' });
            }
            catch (System.Net.Sockets.SocketException)
            {
                break;
            }
            await Task.WhenAny(reading, Task.Delay(1000));
        }
        await reading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(12), $"the slow request was held {watch.Elapsed}");
        Assert.StartsWith("HTTP/1.1 408", received.ToString());
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Host.HttpPort}") };
        Assert.Equal("1::probe", await client.GetStringAsync("/probe/echo/1"));
    }
}

/// <summary>A request id that could not be echoed safely is replaced, not reflected.</summary>
public sealed class HttpRequestIdTests
{
    [Fact]
    public async Task An_overlong_request_id_gets_a_fresh_uuid_and_non_ascii_headers_are_refused_by_kestrel()
    {
        var config = ServeTestHost.MultiAppConfig() with { HttpOptions = new HttpOptions { Port = 0 } };
        await using var host = await ServeTestHost.StartAsync(config);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Host.HttpPort}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/probe/echo/3");
        request.Headers.Add("x-request-id", new string('r', 300));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Guid.TryParse(response.Headers.GetValues("x-request-id").Single(), out _));

        // Bytes outside ASCII never reach the proxy: Kestrel answers 400 itself, and keeps serving.
        var text = await RawRequestAsync(host.Host.HttpPort!.Value, "GET /probe/echo/3 HTTP/1.1\r\nHost: 127.0.0.1\r\nx-request-id: h\u00e9llo\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400", text);
        Assert.Equal("3::probe", await client.GetStringAsync("/probe/echo/3"));
    }

    internal static async Task<string> RawRequestAsync(int port, string request)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.Latin1.GetBytes(request));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while ((read = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        return Encoding.Latin1.GetString(received.ToArray());
    }
}
