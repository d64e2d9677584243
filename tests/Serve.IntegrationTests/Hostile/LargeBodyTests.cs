using System.Net;
using System.Net.Http.Headers;

namespace Serve.IntegrationTests.Hostile;

/// <summary>
/// Large HTTP request bodies against the sentiment sample running as its own process: one body used to cost about six
/// times its size, and forty at once 6.9 GB. Bodies now cost about their size once, and all the bodies held at once
/// stay within <c>http_options.request_body_memory_limit</c>, however many clients send them.
/// </summary>
public sealed class LargeBodyTests : IAsyncLifetime
{
    private const int MaxBody = 8_000_000;
    private const long MemoryLimit = 20_000_000;
    private const int Body = MaxBody - 100_000;

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(90) };
    private HostProcess _host = null!;

    public async Task InitializeAsync() => _host = await HostProcess.StartWithConfigAsync("Sentiment", $"""
        http_options:
          max_request_body_size: {MaxBody}
          request_body_memory_limit: {MemoryLimit}
        applications:
          - name: classifier
            route_prefix: /
            import_path: Sentiment.Applications:ClassifierApp
        """);

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private Uri Url(string path) => new($"http://127.0.0.1:{_host.Serve.HttpPort}{path}");

    /// <summary>A body the deployment rejects at its first byte (not JSON): what is measured is the proxy's cost.</summary>
    private static ByteArrayContent NotJson(int length)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill((byte)'x');
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    [Fact]
    public async Task Twenty_large_bodies_at_once_hold_the_memory_limit_not_twenty_bodies()
    {
        await WarmUpAsync();
        var before = ProcessMemory.Resident(_host.Serve.Id);
        ProcessMemory.ResetPeak(_host.Serve.Id);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await _http.PostAsync(Url("/classify/batch"), NotJson(Body));
            return response.StatusCode;
        }));

        // Every body was read and answered (queued for room, not refused): the deployment's 400 for a body that is not JSON.
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.BadRequest, s));
        var grown = ProcessMemory.Peak(_host.Serve.Id) - before;
        // Two bodies fit the limit at once (each in an 8 MiB pooled array). Twenty held at once, twice each, were 320 MB.
        Assert.True(grown < 64L * 1024 * 1024, $"The host's peak memory grew by {grown / (1024 * 1024)} MB for 20 bodies of {Body / 1_000_000} MB.");
        await AssertServingAsync();
    }

    [Fact]
    public async Task One_large_body_costs_about_its_size_once()
    {
        await WarmUpAsync();
        var before = ProcessMemory.Resident(_host.Serve.Id);
        ProcessMemory.ResetPeak(_host.Serve.Id);

        using (var response = await _http.PostAsync(Url("/classify/batch"), NotJson(Body)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }

        var grown = ProcessMemory.Peak(_host.Serve.Id) - before;
        Assert.True(grown < 2L * Body, $"The host's peak memory grew by {grown / (1024 * 1024)} MB for one body of {Body / 1_000_000} MB.");
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_413_declared_or_chunked_and_the_host_keeps_serving()
    {
        // With Expect: 100-continue, as curl sends large bodies: the answer comes before the body is sent.
        using var tooLarge = new HttpRequestMessage(HttpMethod.Post, Url("/classify/batch")) { Content = NotJson(MaxBody + 1) };
        tooLarge.Headers.ExpectContinue = true;
        using (var declared = await _http.SendAsync(tooLarge))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);
            Assert.Equal($$"""{"detail":"Request body of {{MaxBody + 1}} bytes is larger than the limit of {{MaxBody}} bytes."}""", await declared.Content.ReadAsStringAsync());
        }
        using var chunked = new HttpRequestMessage(HttpMethod.Post, Url("/classify/batch")) { Content = new StreamContent(new MemoryStream(new byte[MaxBody + 1])) };
        chunked.Headers.TransferEncodingChunked = true;
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        try
        {
            using var response = await _http.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // The answer came, and the connection closed, before the client had sent everything: HttpClient reports the
            // interrupted send instead of the answer. The host is what this test is about.
        }
        await AssertServingAsync();
    }

    [Fact]
    public async Task Chunked_bodies_past_the_limit_in_flight_are_503_with_retry_after_and_none_is_lost()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Url("/classify/batch")) { Content = new StreamContent(new SlowStream(Body)) };
            request.Headers.TransferEncodingChunked = true;
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            try
            {
                using var response = await _http.SendAsync(request);
                return (StatusCode: response.StatusCode, Delta: response.Headers.RetryAfter?.Delta);
            }
            catch (HttpRequestException)
            {
                // A 503 sent before the whole body: see the test above.
                return (StatusCode: HttpStatusCode.ServiceUnavailable, Delta: (TimeSpan?)TimeSpan.FromSeconds(1));
            }
        }));

        // Each was answered: read whole (the deployment's 400) or refused for room (503, retry in a second).
        Assert.All(responses, r => Assert.True(r.StatusCode == HttpStatusCode.BadRequest
            || (r.StatusCode == HttpStatusCode.ServiceUnavailable && r.Delta == TimeSpan.FromSeconds(1)), $"{r.StatusCode} {r.Delta}"));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.BadRequest);
        await AssertServingAsync();
    }

    private async Task WarmUpAsync()
    {
        // The first requests fill the pools and JIT the paths: the measured ones then show what bodies cost.
        for (var i = 0; i < 3; i++)
        {
            using var response = await _http.PostAsync(Url("/classify/batch"), NotJson(Body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    private async Task AssertServingAsync()
    {
        Assert.False(_host.Serve.HasExited, "The host exited:\n" + _host.Serve.Output);
        Assert.Equal("Sentiment Classifier (0 -> Negative and 1 -> Positive)", await _http.GetStringAsync(Url("/test")));
    }

    /// <summary>A body of <c>x</c> sent in 256 KB pieces, a little apart, so that several are in flight at once.</summary>
    private sealed class SlowStream(int length) : Stream
    {
        private int _sent;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(Math.Min(buffer.Length, 256 * 1024), length - _sent);
            if (n == 0)
            {
                return 0;
            }
            await Task.Delay(5, cancellationToken);
            buffer.Span[..n].Fill((byte)'x');
            _sent += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
