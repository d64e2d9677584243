using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Userdefinedprotos;
using static Serve.IntegrationTests.GrpcFrames;

namespace Serve.IntegrationTests;

/// <summary>
/// Malformed and hostile gRPC requests, sent with a raw HTTP/2 client (and a raw socket for HTTP/1.1)
/// to the real host. Each must get the exact status with a useful message within a bounded time, and
/// the server must go on serving: every test ends with a good call.
/// </summary>
[Collection(QuickstartCollection.Name)]
public sealed class BadInputTests(QuickstartHostFixture fixture) : IDisposable
{
    /// <summary>Every await is bounded by this: a hang fails the test instead of blocking the run.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    private const string Service = "/userdefinedprotos.UserDefinedService/";
    private const string CallPath = Service + "__call__";
    private const string StreamingPath = Service + "Streaming";

    private static readonly UserDefinedMessage s_request = new() { Name = "foo", Num = 30, Origin = "bar" };

    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly UserDefinedService.UserDefinedServiceClient _client = new(fixture.Channel);

    public void Dispose() => _http.Dispose();

    // ---------------------------------------------------------------- framing

    [Theory]
    [InlineData("bad-compression-flag", "Invalid message compression flag 2: expected 0 or 1.")]
    [InlineData("declared-length-past-the-end", "Incomplete message.")]
    [InlineData("prefix-cut-in-the-middle", "Incomplete message.")]
    [InlineData("two-messages-on-a-unary-call", "Additional data after the message received.")]
    [InlineData("empty-body", "Request did not include a message.")]
    public async Task Malformed_framing_is_internal(string @case, string expectedMessage)
    {
        var payload = s_request.ToByteArray();
        byte[] body = @case switch
        {
            "bad-compression-flag" => Frame(2, (uint)payload.Length, payload),
            "declared-length-past-the-end" => Frame(0, (uint)payload.Length + 10, payload),
            "prefix-cut-in-the-middle" => [0, 0, 0],
            "two-messages-on-a-unary-call" => [.. Frame(payload), .. Frame(payload)],
            "empty-body" => [],
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        var answer = await SendAsync(CallPath, Bytes(body));

        answer.AssertStatus(StatusCode.Internal, expectedMessage);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_prefix_split_over_several_data_frames_is_reassembled()
    {
        var framed = Frame(s_request.ToByteArray());
        using var content = new ChunkedContent(framed[..2], framed[2..4], framed[4..7], framed[7..]);

        var answer = await SendAsync(CallPath, content);

        answer.AssertStatus(StatusCode.OK, "");
        var reply = UserDefinedResponse.Parser.ParseFrom(answer.SingleMessage());
        Assert.Equal("Hello foo from bar", reply.Greeting);
        Assert.Equal(60, reply.Num);
    }

    [Fact]
    public async Task Oversize_message_is_resource_exhausted_before_the_body_arrives()
    {
        // Declares 5 MB (over the 4 MB default), sends 16 bytes of it and keeps the request stream open.
        byte[] start = [.. Frame(0, 5 * 1024 * 1024, []), .. new byte[16]];
        using var content = new HeldOpenContent(start);

        var answer = await SendAsync(CallPath, content);

        Assert.True(content.EndedAt is null || content.EndedAt > answer.CompletedAt, "The status must arrive while the request body is still open.");
        answer.AssertStatus(StatusCode.ResourceExhausted, "Received message exceeds the maximum configured message size.");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Garbage_protobuf_is_invalid_argument_naming_the_message_type()
    {
        var answer = await SendAsync(CallPath, Bytes(Frame([0xFF, 0xFF, 0xFF])));

        answer.AssertStatus(StatusCode.InvalidArgument);
        Assert.StartsWith("Failed to parse request message 'userdefinedprotos.UserDefinedMessage': ", answer.Message);
        await AssertStillServingAsync();
    }

    // ---------------------------------------------------------------- compression

    [Fact]
    public async Task Compressed_flag_without_grpc_encoding_is_internal()
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(1, Gzip(s_request.ToByteArray()))));

        answer.AssertStatus(StatusCode.Internal, "Request did not include grpc-encoding value with compressed message.");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Compressed_flag_with_identity_encoding_is_internal()
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(1, Gzip(s_request.ToByteArray()))), r => r.Headers.TryAddWithoutValidation("grpc-encoding", "identity"));

        answer.AssertStatus(StatusCode.Internal, "Request sent 'identity' grpc-encoding value with compressed message.");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Unknown_grpc_encoding_is_unimplemented_and_lists_the_accepted_encodings()
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(1, s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("grpc-encoding", "snappy"));

        answer.AssertStatus(StatusCode.Unimplemented, "Unsupported grpc-encoding value 'snappy'. Supported encodings: identity, gzip");
        Assert.True(answer.Headers.TryGetValue("grpc-accept-encoding", out var accepted), "grpc-accept-encoding is missing from the response headers.");
        Assert.Contains("gzip", accepted.Split(',').Select(e => e.Trim()));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Gzip_request_is_decompressed()
    {
        var request = new UserDefinedMessage { Name = "zipped", Num = 21, Origin = "gzip" };
        var answer = await SendAsync(CallPath, Bytes(Frame(1, Gzip(request.ToByteArray()))), r => r.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"));

        answer.AssertStatus(StatusCode.OK, "");
        var reply = UserDefinedResponse.Parser.ParseFrom(answer.SingleMessage());
        Assert.Equal("Hello zipped from gzip", reply.Greeting);
        Assert.Equal(42, reply.Num);
    }

    [Fact]
    public async Task Corrupt_gzip_is_internal()
    {
        // A valid gzip header, then bytes that are not a deflate stream.
        byte[] corrupt = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        var answer = await SendAsync(CallPath, Bytes(Frame(1, corrupt)), r => r.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"));

        answer.AssertStatus(StatusCode.Internal, "Failed to decompress message with grpc-encoding 'gzip'.");
        await AssertStillServingAsync();
    }

    /// <summary>
    /// A gzip member cut short is corrupt data, as zlib (C-core) reports it. .NET's GZipStream returns
    /// whatever it inflated so far without an error, so the check of the member's end (CRC32, ISIZE) has
    /// to be the proxy's own; without it a truncated message is dispatched as a shorter one.
    /// </summary>
    [Theory]
    [InlineData("header-only")]
    [InlineData("half")]
    [InlineData("without-crc32-and-isize")]
    public async Task Truncated_gzip_is_internal(string cut)
    {
        var gzip = Gzip(new UserDefinedMessage { Name = new string('n', 200), Num = 21, Origin = "truncated" }.ToByteArray());
        var truncated = cut switch
        {
            "header-only" => gzip[..10],
            "half" => gzip[..(gzip.Length / 2)],
            "without-crc32-and-isize" => gzip[..^8],
            _ => throw new ArgumentOutOfRangeException(nameof(cut)),
        };
        var answer = await SendAsync(CallPath, Bytes(Frame(1, truncated)), r => r.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"));

        answer.AssertStatus(StatusCode.Internal, "Failed to decompress message with grpc-encoding 'gzip'.");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Gzip_bomb_is_resource_exhausted()
    {
        // About 5 KB on the wire, 5 MB (over the 4 MB default) once inflated.
        var bomb = Gzip(new byte[5 * 1024 * 1024]);
        Assert.True(bomb.Length < 64 * 1024);
        var answer = await SendAsync(CallPath, Bytes(Frame(1, bomb)), r => r.Headers.TryAddWithoutValidation("grpc-encoding", "gzip"));

        answer.AssertStatus(StatusCode.ResourceExhausted, "Received message exceeds the maximum configured message size.");
        await AssertStillServingAsync();
    }

    // ---------------------------------------------------------------- HTTP level

    [Fact]
    public async Task Wrong_content_type_is_http_415()
    {
        var content = new ByteArrayContent(Frame(s_request.ToByteArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var answer = await SendAsync(CallPath, content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, answer.HttpStatus);
        Assert.True(answer.TrailersOnly, "Expected the status in the response headers.");
        Assert.Equal(StatusCode.Internal, answer.Status);
        Assert.Equal("Content-Type 'application/json' is not supported.", answer.Message);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Get_instead_of_post_is_http_405()
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(s_request.ToByteArray())), method: HttpMethod.Get);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, answer.HttpStatus);
        Assert.Equal(StatusCode.Internal, answer.Status);
        Assert.Equal("Method 'GET' is not supported; gRPC uses POST.", answer.Message);
        await AssertStillServingAsync();
    }

    /// <summary>
    /// The gRPC port is HTTP/2 only (h2c with prior knowledge): a connection that does not open with
    /// the HTTP/2 preface gets 426 Upgrade Required from the port's connection middleware, then the
    /// connection closes.
    /// </summary>
    [Fact]
    public async Task Http11_request_to_the_grpc_port_gets_426_and_the_connection_closes()
    {
        using var cts = new CancellationTokenSource(Limit);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, fixture.GrpcPort, cts.Token);
        var body = Frame(s_request.ToByteArray());
        var head = $"POST {CallPath} HTTP/1.1\r\nHost: 127.0.0.1:{fixture.GrpcPort}\r\nContent-Type: application/grpc\r\nTE: trailers\r\nContent-Length: {body.Length}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, cts.Token);
        await socket.SendAsync(body, SocketFlags.None, cts.Token);

        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }
        // Reaching here means the server closed the connection (ReceiveAsync returned 0) within the limit.
        var text = Encoding.ASCII.GetString(received.ToArray());

        Assert.StartsWith("HTTP/1.1 426 Upgrade Required\r\n", text);
        Assert.Contains("Upgrade: h2c\r\n", text);
        Assert.EndsWith("This port serves gRPC over HTTP/2 only; use an HTTP/2 (h2c) gRPC client.", text);
        await AssertStillServingAsync();
    }

    // ---------------------------------------------------------------- metadata and deadlines

    [Theory]
    [InlineData("abc")]
    [InlineData("123456789S")]
    [InlineData("10x")]
    [InlineData("-1S")]
    [InlineData("1")]
    [InlineData("S")]
    public async Task Invalid_grpc_timeout_is_internal(string value)
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("grpc-timeout", value));

        answer.AssertStatus(StatusCode.Internal, $"Invalid grpc-timeout value '{value}'.");
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData("1194H")]        // 49.75 days: past what a CancellationTokenSource can arm
    [InlineData("99999999H")]    // the longest the header can say: past DateTime's range too
    [InlineData("4294968S")]
    [InlineData("99999999M")]
    [InlineData("595H")]         // 24.8 days: the longest deadline Serve arms
    public async Task Client_deadlines_no_timer_can_hold_mean_no_practical_deadline(string value)
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("grpc-timeout", value));

        answer.AssertStatus(StatusCode.OK, "");
        Assert.Equal(60, UserDefinedResponse.Parser.ParseFrom(answer.SingleMessage()).Num);
        var streamed = await SendAsync(StreamingPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("grpc-timeout", value));
        streamed.AssertStatus(StatusCode.OK, "");
        Assert.Equal(10, streamed.Messages().Count());
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Tiny_grpc_timeout_on_streaming_is_deadline_exceeded()
    {
        var answer = await SendAsync(StreamingPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("grpc-timeout", "1n"));

        answer.AssertStatus(StatusCode.DeadlineExceeded);
        Assert.StartsWith("Request timed out after ", answer.Message);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Deadline_in_the_middle_of_a_stream_ends_it_with_deadline_exceeded()
    {
        // Ten messages 100 ms apart; the deadline passes after about three.
        var answer = await SendAsync(StreamingPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("grpc-timeout", "350m"));

        answer.AssertStatus(StatusCode.DeadlineExceeded, "Request timed out after 0.35s.");
        var messages = answer.Messages().Select(m => UserDefinedResponse.Parser.ParseFrom(m)).ToList();
        Assert.InRange(messages.Count, 1, 9);
        Assert.Equal(Enumerable.Range(0, messages.Count).Select(i => 60L + i), messages.Select(m => m.Num));
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Invalid_base64_in_binary_metadata_is_internal_naming_the_header()
    {
        var answer = await SendAsync(CallPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("x-token-bin", "!!!not base64"));

        answer.AssertStatus(StatusCode.Internal, "Invalid base64 value in binary metadata header 'x-token-bin'.");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Valid_binary_metadata_padded_or_not_is_accepted()
    {
        foreach (var value in new[] { "AQID", "AQI", "AQI=" })
        {
            var answer = await SendAsync(CallPath, Bytes(Frame(s_request.ToByteArray())), r => r.Headers.TryAddWithoutValidation("x-token-bin", value));
            answer.AssertStatus(StatusCode.OK, "");
        }
    }

    // ---------------------------------------------------------------- routing

    [Theory]
    [InlineData("/nope.NoSuchService/__call__")]
    [InlineData(Service + "NoSuchMethod")]
    [InlineData(Service + "__CALL__")]
    [InlineData("/userdefinedprotos.ImageClassificationService/Predict")]
    public async Task Unknown_service_or_method_is_unimplemented_with_http_200(string path)
    {
        var answer = await SendAsync(path, Bytes(Frame(s_request.ToByteArray())));

        answer.AssertStatus(StatusCode.Unimplemented, $"Method '{path}' is not implemented by application 'app1'.");
        Assert.True(answer.Trailers.ContainsKey("request_id"), "request_id is missing from the trailers.");
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Unknown_method_of_the_serve_api_is_unimplemented()
    {
        var answer = await SendAsync("/ray.serve.RayServeAPIService/Nope", Bytes(Frame([])));

        answer.AssertStatus(StatusCode.Unimplemented, "Method '/ray.serve.RayServeAPIService/Nope' is not implemented.");
        await AssertStillServingAsync();
    }

    // ---------------------------------------------------------------- clients that leave

    [Fact]
    public async Task Client_reset_in_the_middle_of_a_stream_frees_the_replica_slot()
    {
        // Two replicas with max_ongoing_requests 5: if a reset stream kept its slot, the eleventh call
        // would queue forever (max_queued_requests is unbounded) and the bounded reads below would fail.
        for (var i = 0; i < 12; i++)
        {
            using var cts = new CancellationTokenSource(Limit);
            using var request = NewRequest(StreamingPath, Bytes(Frame(s_request.ToByteArray())));
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var stream = await response.Content.ReadAsStreamAsync(cts.Token);
            var prefix = new byte[5];
            await stream.ReadExactlyAsync(prefix, cts.Token);
            var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1))];
            await stream.ReadExactlyAsync(payload, cts.Token);
            Assert.Equal("0: Hello foo from bar", UserDefinedResponse.Parser.ParseFrom(payload).Greeting);
            // Disposing the unfinished response resets the stream (RST_STREAM CANCEL).
            response.Dispose();
        }
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Client_reset_while_the_server_waits_for_the_request_body()
    {
        // Declares 20 bytes, sends 3, then gives up.
        byte[] start = [.. Frame(0, 20, []), 1, 2, 3];
        using var content = new HeldOpenContent(start);
        using var request = NewRequest(CallPath, content);
        using var cts = new CancellationTokenSource();
        var send = _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);

        await content.FirstSent.WaitAsync(Limit);
        await Task.Delay(200);
        Assert.False(send.IsCompleted, "The server answered before the message was complete.");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(Limit));

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task Many_bad_requests_in_parallel_leave_the_server_serving()
    {
        var payload = s_request.ToByteArray();
        var bodies = new byte[][] { Frame(2, (uint)payload.Length, payload), [0, 0], Frame([0xFF]), Frame(0, uint.MaxValue, []), [.. Frame(payload), .. Frame(payload)] };
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => SendAsync(CallPath, Bytes(bodies[i % bodies.Length]))));
        Assert.All(answers, a => Assert.NotEqual(StatusCode.OK, a.Status));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.HttpStatus));
        await AssertStillServingAsync();
    }

    // ---------------------------------------------------------------- helpers

    private async Task AssertStillServingAsync()
    {
        var request = new UserDefinedMessage { Name = "after", Num = 21, Origin = "bad input" };
        using var call = _client.__call__Async(request, new CallOptions(deadline: DateTime.UtcNow + Limit));
        var reply = await call.ResponseAsync.WaitAsync(Limit);
        Assert.Equal("Hello after from bad input", reply.Greeting);
        Assert.Equal(42, reply.Num);
    }

    private HttpRequestMessage NewRequest(string path, HttpContent? content, HttpMethod? method = null)
    {
        var request = GrpcFrames.Request(fixture.GrpcPort, path, content);
        request.Method = method ?? HttpMethod.Post;
        return request;
    }

    /// <summary>Sends one request and reads the whole answer, all within <see cref="Limit"/>.</summary>
    private async Task<GrpcAnswer> SendAsync(string path, HttpContent content, Action<HttpRequestMessage>? configure = null, HttpMethod? method = null)
    {
        using var request = NewRequest(path, content, method);
        configure?.Invoke(request);
        using var cts = new CancellationTokenSource(Limit);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token).WaitAsync(Limit);
            var body = await response.Content.ReadAsByteArrayAsync(cts.Token).WaitAsync(Limit);
            return new GrpcAnswer(response.StatusCode, Snapshot(response.Headers), Snapshot(response.TrailingHeaders), body, Stopwatch.GetTimestamp());
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException && Stopwatch.GetElapsedTime(started) >= Limit - TimeSpan.FromSeconds(1))
        {
            throw new TimeoutException($"No complete answer to {path} within {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0}s: the server hangs.", ex);
        }
    }

    private static Dictionary<string, string> Snapshot(HttpHeaders headers) =>
        headers.NonValidated.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private sealed record GrpcAnswer(
        HttpStatusCode HttpStatus,
        Dictionary<string, string> Headers,
        Dictionary<string, string> Trailers,
        byte[] Body,
        long CompletedAt)
    {
        /// <summary>True when the status came in the response headers (a trailers-only answer).</summary>
        public bool TrailersOnly => Headers.ContainsKey("grpc-status");

        public StatusCode? Status =>
            (TrailersOnly ? Headers : Trailers).TryGetValue("grpc-status", out var s) && int.TryParse(s, out var code) ? (StatusCode)code : null;

        /// <summary>The decoded grpc-message (percent-decoded UTF-8), empty when absent.</summary>
        public string Message =>
            (TrailersOnly ? Headers : Trailers).TryGetValue("grpc-message", out var m) ? Uri.UnescapeDataString(m) : "";

        public void AssertStatus(StatusCode code, string? message = null)
        {
            var described = $"HTTP {(int)HttpStatus}, headers [{string.Join("; ", Headers.Select(h => $"{h.Key}: {h.Value}"))}], trailers [{string.Join("; ", Trailers.Select(h => $"{h.Key}: {h.Value}"))}], body {Body.Length} bytes";
            Assert.True(HttpStatus == HttpStatusCode.OK, $"Expected HTTP 200: {described}");
            Assert.True(Status == code, $"Expected grpc-status {code} ({(int)code}): {described}");
            if (message is not null)
            {
                Assert.Equal(message, Message);
            }
        }

        /// <summary>The payloads of the length-prefixed (uncompressed) messages in the body.</summary>
        public IEnumerable<byte[]> Messages()
        {
            var offset = 0;
            while (offset < Body.Length)
            {
                Assert.True(Body.Length - offset >= 5, "Truncated message prefix in the response.");
                Assert.Equal(0, Body[offset]);
                var length = (int)BinaryPrimitives.ReadUInt32BigEndian(Body.AsSpan(offset + 1));
                Assert.True(Body.Length - offset - 5 >= length, "Truncated message in the response.");
                yield return Body.AsSpan(offset + 5, length).ToArray();
                offset += 5 + length;
            }
        }

        public byte[] SingleMessage() => Assert.Single(Messages());
    }

    /// <summary>A request body sent in pieces, each flushed as its own DATA frame, a little apart.</summary>
    private sealed class ChunkedContent : HttpContent
    {
        private readonly byte[][] _chunks;

        public ChunkedContent(params byte[][] chunks)
        {
            _chunks = chunks;
            Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            foreach (var chunk in _chunks)
            {
                await stream.WriteAsync(chunk, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                await Task.Delay(30, cancellationToken);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    /// <summary>Sends <c>start</c>, then keeps the request stream open until disposed or the request is cancelled.</summary>
    private sealed class HeldOpenContent : HttpContent
    {
        private readonly byte[] _start;
        private readonly TaskCompletionSource _firstSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeldOpenContent(byte[] start)
        {
            _start = start;
            Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        }

        public Task FirstSent => _firstSent.Task;

        /// <summary>When this side ended the request body (a <see cref="Stopwatch"/> timestamp), or null: only after disposal.</summary>
        public long? EndedAt { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(_start, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            _firstSent.TrySetResult();
            // Returning normally ends the body (END_STREAM); a cancellation (the stream was reset) does not.
            await _release.Task.WaitAsync(cancellationToken);
            EndedAt = Stopwatch.GetTimestamp();
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            _release.TrySetResult();
            base.Dispose(disposing);
        }
    }
}
