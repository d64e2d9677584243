using System.Net;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Userdefinedprotos;
using static Serve.IntegrationTests.GrpcFrames;

namespace Serve.IntegrationTests.Hostile;

/// <summary>
/// The access log against the quickstart host running as its own process, read from its console: every call gets
/// exactly one line with the status the client saw, and clients that leave are information, not failures. Streams
/// reset after their first message used to log no access line at all, calls whose client deadline passed got one a
/// quarter of the time, and some departures were logged at error level with a stack trace.
/// </summary>
public sealed partial class AccessLogTests : IAsyncLifetime
{
    private const string StreamingPath = "/userdefinedprotos.UserDefinedService/Streaming";
    private const string CallPath = "/userdefinedprotos.UserDefinedService/__call__";
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);
    private static readonly byte[] s_request = Frame(new UserDefinedMessage { Name = "foo", Num = 30, Origin = "bar" }.ToByteArray());

    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartAsync("GrpcQuickstart", Paths.Sample("single-app.yaml"));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_stream_the_client_resets_after_its_first_message_is_one_cancelled_line()
    {
        const int Calls = 200;
        using var client = Http2Client();
        // Ten at a time: app1 runs two replicas of five slots.
        for (var batch = 0; batch < Calls / 10; batch++)
        {
            await Task.WhenAll(Enumerable.Range(batch * 10, 10).Select(async i =>
            {
                using var timeout = new CancellationTokenSource(s_limit);
                using var request = Request(_host.Serve.GrpcPort, StreamingPath, Bytes(s_request));
                request.Headers.Add("request_id", $"reset-{i}");
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                await ReadExactlyAsync(body, 5, timeout.Token);
                // Disposing the response before its end resets the stream (RST_STREAM CANCEL).
            }));
        }

        await AssertOneLineEachAsync(Enumerable.Range(0, Calls).Select(i => $"reset-{i}"), StreamingPath, "Cancelled");
        AssertNoFailures();
    }

    [Fact]
    public async Task A_call_whose_client_deadline_passes_is_one_line()
    {
        const int Calls = 100;
        using var client = Http2Client();
        for (var batch = 0; batch < Calls / 10; batch++)
        {
            await Task.WhenAll(Enumerable.Range(batch * 10, 10).Select(async i =>
            {
                // Odd calls do what a gRPC client with a 50 ms deadline does: send grpc-timeout, and reset the stream
                // when it passes. Even ones wait for the server's answer at the deadline.
                var clientDeadline = i % 2 == 1 ? TimeSpan.FromMilliseconds(50) : s_limit;
                using var deadline = new CancellationTokenSource(clientDeadline);
                using var request = Request(_host.Serve.GrpcPort, StreamingPath, Bytes(s_request));
                request.Headers.Add("request_id", $"deadline-{i}");
                request.Headers.Add("grpc-timeout", "50m");
                try
                {
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                    var body = await response.Content.ReadAsStreamAsync(deadline.Token);
                    await body.CopyToAsync(Stream.Null, deadline.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
                {
                    // The client's deadline, or the server's reset after its DEADLINE_EXCEEDED.
                }
            }));
        }

        // The server answered these at the deadline.
        await AssertOneLineEachAsync(Enumerable.Range(0, Calls).Where(i => i % 2 == 0).Select(i => $"deadline-{i}"), StreamingPath, "DeadlineExceeded");
        // These raced the server's own timer: their reset usually arrives as the deadline passes, and is logged as the
        // deadline the client saw, but on a loaded machine it can come well before the server's timer (which started
        // when the server got the call), and then the server saw a cancellation.
        await AssertOneLineEachAsync(Enumerable.Range(0, Calls).Where(i => i % 2 == 1).Select(i => $"deadline-{i}"), StreamingPath, "DeadlineExceeded", "Cancelled");
        AssertNoFailures();
    }

    [Fact]
    public async Task Streams_on_a_connection_that_drops_are_one_cancelled_line_each()
    {
        const int Calls = 10;
        var client = Http2Client();
        var responses = new List<HttpResponseMessage>();
        try
        {
            for (var i = 0; i < Calls; i++)
            {
                using var timeout = new CancellationTokenSource(s_limit);
                var request = Request(_host.Serve.GrpcPort, StreamingPath, Bytes(s_request));
                request.Headers.Add("request_id", $"dropped-{i}");
                var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                responses.Add(response);
                await ReadExactlyAsync(await response.Content.ReadAsStreamAsync(timeout.Token), 5, timeout.Token);
            }
        }
        finally
        {
            // The whole connection goes at once, every stream on it still running.
            client.Dispose();
            responses.ForEach(r => r.Dispose());
        }

        await AssertOneLineEachAsync(Enumerable.Range(0, Calls).Select(i => $"dropped-{i}"), StreamingPath, "Cancelled");
        AssertNoFailures();
    }

    [Fact]
    public async Task Calls_answered_before_any_method_runs_get_their_line_too()
    {
        using var client = Http2Client();
        async Task SendAsync(string path, string requestId, Action<HttpRequestMessage>? configure = null)
        {
            using var request = Request(_host.Serve.GrpcPort, path, Bytes(s_request));
            request.Headers.Add("request_id", requestId);
            configure?.Invoke(request);
            using var response = await client.SendAsync(request).WaitAsync(s_limit);
            await response.Content.ReadAsByteArrayAsync();
        }

        await SendAsync(CallPath, "ok");
        await SendAsync(CallPath, "unknown-app", r => r.Headers.Add("application", "nope"));
        await SendAsync("/userdefinedprotos.UserDefinedService/Nope", "unknown-method");
        await SendAsync(CallPath, "bad-timeout", r => r.Headers.Add("grpc-timeout", "soon"));
        await SendAsync("/ray.serve.RayServeAPIService/Healthz", "healthz", r => r.Content = Bytes(Frame([])));
        await SendAsync("/grpc.health.v1.Health/Check", "health", r => r.Content = Bytes(Frame([])));

        await AssertOneLineEachAsync(["ok"], CallPath, "OK");
        await AssertOneLineEachAsync(["unknown-app"], CallPath, "NotFound");
        await AssertOneLineEachAsync(["unknown-method"], "/userdefinedprotos.UserDefinedService/Nope", "Unimplemented");
        await AssertOneLineEachAsync(["bad-timeout"], CallPath, "Internal");
        await AssertOneLineEachAsync(["healthz"], "/ray.serve.RayServeAPIService/Healthz", "OK");
        await AssertOneLineEachAsync(["health"], "/grpc.health.v1.Health/Check", "OK");
    }

    /// <summary>Waits (bounded) until each request id has an access line, then checks there is exactly one, with the status.</summary>
    private async Task AssertOneLineEachAsync(IEnumerable<string> requestIds, string path, params string[] statuses)
    {
        var expected = requestIds.ToHashSet(StringComparer.Ordinal);
        var until = DateTime.UtcNow + s_limit;
        Dictionary<string, List<Match>> lines;
        while (true)
        {
            lines = AccessLines().Matches(_host.Serve.Output)
                .Where(m => expected.Contains(m.Groups["id"].Value))
                .GroupBy(m => m.Groups["id"].Value)
                .ToDictionary(g => g.Key, g => g.ToList());
            if (lines.Count == expected.Count || DateTime.UtcNow > until)
            {
                break;
            }
            await Task.Delay(50);
        }
        // Console lines are written by a background queue: give a second line, if any, time to show up.
        await Task.Delay(200);
        lines = AccessLines().Matches(_host.Serve.Output)
            .Where(m => expected.Contains(m.Groups["id"].Value))
            .GroupBy(m => m.Groups["id"].Value)
            .ToDictionary(g => g.Key, g => g.ToList());

        var missing = expected.Where(id => !lines.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {expected.Count} calls have no access line, e.g. {string.Join(", ", missing.Take(5))}. The host wrote:\n{Tail(_host.Serve.Output)}");
        foreach (var (id, matches) in lines)
        {
            Assert.True(matches.Count == 1, $"{id} has {matches.Count} access lines:\n{string.Join("\n", matches.Select(m => m.Value))}");
            var line = matches[0];
            Assert.Equal(("info", path), (line.Groups["level"].Value, line.Groups["path"].Value));
            Assert.True(statuses.Contains(line.Groups["status"].Value), $"{id}: expected status {string.Join(" or ", statuses)}: {line.Value}");
        }
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];

    private void AssertNoFailures()
    {
        var output = _host.Serve.Output;
        Assert.DoesNotContain(" fail: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" warn: ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.False(_host.Serve.HasExited);
    }

    [GeneratedRegex(@"^\S+ \S+ (?<level>\w+): Serve\.Proxy\.Grpc\.GrpcProxy\[\d+\] gRPC (?<path>\S+) app=\S* request_id=(?<id>\S*) status=(?<status>\w+) [\d.]+ ms$", RegexOptions.Multiline)]
    private static partial Regex AccessLines();
}

/// <summary>The HTTP proxy's access log against the sentiment sample running as its own process, read from its console.</summary>
public sealed partial class HttpAccessLogTests : IAsyncLifetime
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(60);
    private readonly HttpClient _http = new() { Timeout = s_limit };
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartAsync("Sentiment", Path.Combine(Paths.RepoRoot, "samples", "Sentiment", "config.yaml"));

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_stream_whose_client_leaves_after_its_first_event_is_one_499_line()
    {
        // 200,000 sentences: far more events (~16 MB) than the connection's buffers and the proxy's 4 MiB per call hold,
        // so that the client leaves before the server could hand over the whole stream.
        var text = string.Concat(Enumerable.Repeat("I love this film. The ending was awful! ", 100_000));
        for (var i = 0; i < 5; i++)
        {
            using var timeout = new CancellationTokenSource(s_limit);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{_host.Serve.HttpPort}/classify/stream")
            {
                Content = new StringContent(text, System.Text.Encoding.UTF8, "text/plain"),
            };
            request.Headers.Add("x-request-id", $"sse-gone-{i}");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            await ReadExactlyAsync(body, 6, timeout.Token);   // "data: "
            // Disposing the response before its end closes the connection.
        }

        await AssertOneLineEachAsync(Enumerable.Range(0, 5).Select(i => $"sse-gone-{i}"), "499");
        Assert.DoesNotContain(" fail: ", _host.Serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", _host.Serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_the_proxy_answers_itself_get_their_line_too()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_host.Serve.HttpPort}/nowhere/x");
        request.Headers.Add("x-request-id", "not-found");
        using var notFound = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        using var wrongMethod = new HttpRequestMessage(HttpMethod.Delete, $"http://127.0.0.1:{_host.Serve.HttpPort}/classify");
        wrongMethod.Headers.Add("x-request-id", "not-allowed");
        using var notAllowed = await _http.SendAsync(wrongMethod);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, notAllowed.StatusCode);
        Assert.Equal("success", await _http.GetStringAsync($"http://127.0.0.1:{_host.Serve.HttpPort}/-/healthz"));

        await AssertOneLineEachAsync(["not-found"], "404");
        await AssertOneLineEachAsync(["not-allowed"], "405");
        await WaitForAsync(() => AccessLines().Matches(_host.Serve.Output).Any(m => m.Groups["path"].Value == "/-/healthz" && m.Groups["status"].Value == "200"));
    }

    private async Task AssertOneLineEachAsync(IEnumerable<string> requestIds, string status)
    {
        var expected = requestIds.ToHashSet(StringComparer.Ordinal);
        Dictionary<string, List<Match>> Lines() => AccessLines().Matches(_host.Serve.Output)
            .Where(m => expected.Contains(m.Groups["id"].Value))
            .GroupBy(m => m.Groups["id"].Value)
            .ToDictionary(g => g.Key, g => g.ToList());
        await WaitForAsync(() => Lines().Count == expected.Count);
        await Task.Delay(200);
        var lines = Lines();
        Assert.True(lines.Count == expected.Count, $"{expected.Count - lines.Count} of {expected.Count} requests have no access line. The host wrote:\n{_host.Serve.Output}");
        foreach (var (id, matches) in lines)
        {
            Assert.True(matches.Count == 1, $"{id} has {matches.Count} access lines.");
            Assert.Equal(("info", status), (matches[0].Groups["level"].Value, matches[0].Groups["status"].Value));
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + s_limit;
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"^\S+ \S+ (?<level>\w+): Serve\.Proxy\.Http\.HttpProxy\[\d+\] HTTP \w+ (?<path>\S+) app=\S* request_id=(?<id>\S*) status=(?<status>\d+) [\d.]+ ms$", RegexOptions.Multiline)]
    private static partial Regex AccessLines();
}

/// <summary>A stream past <c>request_timeout_s</c> whose client does not read, against the sentiment sample with a 2 s timeout.</summary>
public sealed class HttpStreamTimeoutTests : IAsyncLifetime
{
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartWithConfigAsync("Sentiment", """
        http_options:
          request_timeout_s: 2
        applications:
          - name: classifier
            route_prefix: /
            import_path: Sentiment.Applications:ClassifierApp
        """);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Is_cut_at_the_timeout_and_logged_408_not_as_a_client_that_left()
    {
        // ~16 MB of events for a client with a 4 KB receive buffer that reads none of them.
        var body = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("I love this film. The ending was awful! ", 100_000)));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(IPAddress.Loopback, _host.Serve.HttpPort);
        var head = $"POST /classify/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nAccept: text/event-stream\r\nx-request-id: stream-past-timeout\r\nContent-Length: {body.Length}\r\n\r\n";
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await socket.SendAsync(body);

        await _host.WaitForOutputAsync("request_id=stream-past-timeout status=");
        Assert.Contains("request_id=stream-past-timeout status=408 ", _host.Serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" fail: ", _host.Serve.Output, StringComparison.Ordinal);
    }
}
