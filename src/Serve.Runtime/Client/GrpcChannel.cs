using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Serve.Grpc;
using Serve.Wire;

namespace Serve.Client;

/// <summary>
/// A gRPC client channel over <see cref="SocketsHttpHandler"/> (HTTP/2, with or without TLS):
/// the <see cref="CallInvoker"/> behind generated service clients, e.g.
/// <c>new UserDefinedService.UserDefinedServiceClient(GrpcChannel.ForAddress("http://127.0.0.1:9000"))</c>.
/// </summary>
public sealed class GrpcChannel : CallInvoker, IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly Uri _address;
    private readonly int _maxReceiveMessageSize;
    private readonly bool _disposeInvoker;

    private GrpcChannel(Uri address, HttpMessageInvoker invoker, bool disposeInvoker, int maxReceiveMessageSize)
    {
        _address = address;
        _invoker = invoker;
        _disposeInvoker = disposeInvoker;
        _maxReceiveMessageSize = maxReceiveMessageSize;
    }

    /// <summary>The server address, e.g. <c>http://127.0.0.1:9000</c>.</summary>
    public Uri Address => _address;

    /// <summary>Creates a channel to <paramref name="address"/> with its own connection pool.</summary>
    /// <param name="address">The server's base address (<c>http://</c> means HTTP/2 without TLS).</param>
    /// <param name="maxReceiveMessageSize">Largest response message accepted (4 MB by default).</param>
    public static GrpcChannel ForAddress(string address, int maxReceiveMessageSize = 4 * 1024 * 1024)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
        };
        return new GrpcChannel(new Uri(address), new HttpMessageInvoker(handler, disposeHandler: true), disposeInvoker: true, maxReceiveMessageSize);
    }

    /// <summary>Creates a channel that sends through an existing handler (not disposed with the channel).</summary>
    public static GrpcChannel ForAddress(string address, HttpMessageHandler handler, int maxReceiveMessageSize = 4 * 1024 * 1024)
        => new(new Uri(address), new HttpMessageInvoker(handler, disposeHandler: false), disposeInvoker: true, maxReceiveMessageSize);

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var call = new ClientCall(options);
        var response = RunUnaryAsync(method, request, call);
        return new AsyncUnaryCall<TResponse>(response, call.Headers.Task, call, call.Dispose);
    }

    /// <inheritdoc />
    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var call = new ClientCall(options);
        var started = StartAsync(method.FullName, request, call);
        return new AsyncServerStreamingCall<TResponse>(ct => ReadStreamAsync(started, method.ResponseParser, call, ct), call.Headers.Task, call, call.Dispose);
    }

    /// <inheritdoc />
    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
    {
        var call = new ClientCall(options);
        var content = new StreamingRequestContent<TRequest>(call);
        var response = ReadUnaryResponseAsync(StartAsync(method.FullName, content, call), method.ResponseParser, call);
        return new AsyncClientStreamingCall<TRequest, TResponse>(content, response, call.Headers.Task, call, call.Dispose);
    }

    /// <inheritdoc />
    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
    {
        var call = new ClientCall(options);
        var content = new StreamingRequestContent<TRequest>(call);
        var started = StartAsync(method.FullName, content, call);
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(content, ct => ReadStreamAsync(started, method.ResponseParser, call, ct), call.Headers.Task, call, call.Dispose);
    }

    private Task<TResponse> RunUnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, ClientCall call)
        where TRequest : IMessage<TRequest>
        where TResponse : IMessage<TResponse>
        => ReadUnaryResponseAsync(StartAsync(method.FullName, request, call), method.ResponseParser, call);

    private async Task<TResponse> ReadUnaryResponseAsync<TResponse>(Task<PipeReader?> started, MessageParser<TResponse> parser, ClientCall call)
        where TResponse : IMessage<TResponse>
    {
        var reader = await started.ConfigureAwait(false);
        TResponse? result = default;
        var count = 0;
        if (reader is not null)
        {
            await foreach (var message in ReadMessagesAsync(reader, parser, call, call.Token).ConfigureAwait(false))
            {
                result = message;
                count++;
            }
        }
        call.ThrowIfNotOk();
        if (count != 1)
        {
            throw call.Fail(new Status(StatusCode.Internal, count == 0 ? "Failed to deserialize response message: the server sent no message." : "The server sent more than one message on a unary call."));
        }
        return result!;
    }

    private async IAsyncEnumerable<TResponse> ReadStreamAsync<TResponse>(Task<PipeReader?> started, MessageParser<TResponse> parser, ClientCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        using var registration = cancellationToken.Register(call.Dispose);
        var reader = await started.ConfigureAwait(false);
        if (reader is not null)
        {
            await foreach (var message in ReadMessagesAsync(reader, parser, call, call.Token).ConfigureAwait(false))
            {
                yield return message;
            }
        }
        call.ThrowIfNotOk();
    }

    private Task<PipeReader?> StartAsync(string path, IMessage request, ClientCall call)
    {
        var frame = new byte[GrpcFraming.HeaderSize + request.CalculateSize()];
        GrpcFraming.WriteHeader(frame, compressed: false, frame.Length - GrpcFraming.HeaderSize);
        request.WriteTo(frame.AsSpan(GrpcFraming.HeaderSize));
        return StartAsync(path, new ByteArrayContent(frame), call);
    }

    /// <summary>Sends the request; returns the body reader, or null for a trailers-only answer.</summary>
    private async Task<PipeReader?> StartAsync(string path, HttpContent content, ClientCall call)
    {
        // Let the caller get its call object (and start writing a request stream) before any I/O.
        await Task.Yield();
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        message.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (call.Options.Headers is { } headers)
        {
            GrpcMetadataCodec.WriteMetadata(message.Headers, headers);
        }
        if (call.Options.Deadline is { } deadline)
        {
            var remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw call.Fail(new Status(StatusCode.DeadlineExceeded, "Deadline already passed."));
            }
            message.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(remaining));
            if (remaining <= Timeouts.Longest)
            {
                // Longer is no practical deadline: no timer can hold it.
                call.CancelAfter(remaining);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _invoker.SendAsync(message, call.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            throw call.Fail(call.CancellationStatus() ?? new Status(StatusCode.Unavailable, $"Error starting gRPC call: {ex.Message}"));
        }
        call.Response = response;
        call.Headers.TrySetResult(ToMetadata(response.Headers));

        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw call.Fail(new Status(FromHttpStatus(response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}"));
        }
        if (TryReadStatus(response.Headers, out var trailersOnly))
        {
            call.SetFinished(trailersOnly, ToMetadata(response.Headers));
            return null;
        }
        var stream = await response.Content.ReadAsStreamAsync(call.Token).ConfigureAwait(false);
        return PipeReader.Create(stream);
    }

    private async IAsyncEnumerable<TResponse> ReadMessagesAsync<TResponse>(PipeReader reader, MessageParser<TResponse> parser, ClientCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
        where TResponse : IMessage<TResponse>
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or HttpRequestException)
            {
                throw call.Fail(call.CancellationStatus() ?? new Status(StatusCode.Unavailable, $"Error reading response: {ex.Message}"));
            }
            var buffer = result.Buffer;
            var messages = new List<TResponse>();
            try
            {
                while (GrpcFraming.TryReadMessage(ref buffer, _maxReceiveMessageSize, out var payload, out var compressed))
                {
                    if (compressed)
                    {
                        throw call.Fail(new Status(StatusCode.Internal, "The server sent a compressed message; this client does not request compression."));
                    }
                    messages.Add(parser.ParseFrom(payload));
                }
            }
            catch (RpcException ex)
            {
                throw call.Fail(ex.Status);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw call.Fail(new Status(StatusCode.Internal, $"Failed to deserialize response message: {ex.Message}"));
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            foreach (var message in messages)
            {
                yield return message;
            }
            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    throw call.Fail(new Status(StatusCode.Internal, "Incomplete message."));
                }
                break;
            }
        }
        await reader.CompleteAsync().ConfigureAwait(false);
        var trailers = call.Response!.TrailingHeaders;
        if (!TryReadStatus(trailers, out var status))
        {
            throw call.Fail(new Status(StatusCode.Internal, "The server's response has no grpc-status trailer."));
        }
        call.SetFinished(status, ToMetadata(trailers));
    }

    private static bool TryReadStatus(HttpHeaders headers, out Status status)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out var codes))
        {
            status = default;
            return false;
        }
        var codeText = codes.FirstOrDefault();
        var code = int.TryParse(codeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? (StatusCode)value
            : StatusCode.Unknown;
        var detail = headers.TryGetValues(GrpcProtocol.MessageHeader, out var messages)
            ? GrpcStatusMessage.Decode(messages.FirstOrDefault() ?? "")
            : "";
        status = new Status(code, detail);
        return true;
    }

    private static Metadata ToMetadata(HttpHeaders headers) => GrpcMetadataCodec.ReadResponseMetadata(headers);

    private static StatusCode FromHttpStatus(HttpStatusCode code) => code switch
    {
        HttpStatusCode.BadRequest => StatusCode.Internal,
        HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
        HttpStatusCode.NotFound => StatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposeInvoker)
        {
            _invoker.Dispose();
        }
    }

    /// <summary>
    /// The request body of a client-streaming or duplex call: each written message is framed and
    /// sent at once; <see cref="CompleteAsync"/> ends the stream (half-close).
    /// </summary>
    private sealed class StreamingRequestContent<T> : HttpContent, IClientStreamWriter<T>
        where T : IMessage<T>
    {
        private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false));
        private readonly ClientCall _call;
        private readonly SemaphoreSlim _writeLock = new(1, 1);
        private bool _completed;

        public StreamingRequestContent(ClientCall call)
        {
            _call = call;
            Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        }

        public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(message);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_completed)
                {
                    throw new InvalidOperationException("The request stream was already completed.");
                }
                _call.ThrowIfFinished();
                var size = message.CalculateSize();
                var span = _pipe.Writer.GetSpan(GrpcFraming.HeaderSize + size);
                GrpcFraming.WriteHeader(span, compressed: false, size);
                message.WriteTo(span.Slice(GrpcFraming.HeaderSize, size));
                _pipe.Writer.Advance(GrpcFraming.HeaderSize + size);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _call.Token);
                await _pipe.Writer.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }

        public async Task CompleteAsync()
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                if (!_completed)
                {
                    _completed = true;
                    await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var reader = _pipe.Reader;
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                }
                // Each message goes out as it is written, not when a buffer fills.
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
            => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }

    /// <summary>The state of one client call: its cancellation, response, and final status.</summary>
    private sealed class ClientCall : ICallState
    {
        private readonly CancellationTokenSource _cts;
        private readonly CancellationToken _userToken;
        private Status? _status;
        private Metadata _trailers = new();
        private bool _hasDeadline;
        private volatile bool _disposed;

        public ClientCall(CallOptions options)
        {
            Options = options;
            _userToken = options.CancellationToken;
            _cts = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        }

        public CallOptions Options { get; }

        public CancellationToken Token => _cts.Token;

        public TaskCompletionSource<Metadata> Headers { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HttpResponseMessage? Response { get; set; }

        public void CancelAfter(TimeSpan delay)
        {
            _hasDeadline = true;
            _cts.CancelAfter(delay);
        }

        /// <summary>Why the call's token fired, when it did.</summary>
        public Status? CancellationStatus()
        {
            if (!_cts.IsCancellationRequested)
            {
                return null;
            }
            // Decided here, not in a callback on the token: a reader that sees the token fire may run before
            // the token's callbacks have, and would report a passed deadline as a cancellation.
            return _hasDeadline && !_userToken.IsCancellationRequested && !_disposed
                ? new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")
                : new Status(StatusCode.Cancelled, "Call canceled by the client.");
        }

        public void SetFinished(Status status, Metadata trailers)
        {
            _status = status;
            _trailers = trailers;
            Headers.TrySetResult(new Metadata());
        }

        public RpcException Fail(Status status)
        {
            _status ??= status;
            Headers.TrySetResult(new Metadata());
            return new RpcException(_status.Value, _trailers);
        }

        /// <summary>Writing to a call that already ended reports its status.</summary>
        public void ThrowIfFinished()
        {
            if (_status is { } status)
            {
                throw new RpcException(status.StatusCode == StatusCode.OK ? new Status(StatusCode.Internal, "The call already finished.") : status, _trailers);
            }
            if (_cts.IsCancellationRequested)
            {
                throw new RpcException(CancellationStatus()!.Value);
            }
        }

        public void ThrowIfNotOk()
        {
            if (_status is { StatusCode: not StatusCode.OK } status)
            {
                throw new RpcException(status, _trailers);
            }
        }

        public Status GetStatus() => _status ?? throw new InvalidOperationException("The call has not finished.");

        public Metadata GetTrailers() => _status is null ? throw new InvalidOperationException("The call has not finished.") : _trailers;

        public void Dispose()
        {
            _disposed = true;
            if (!_cts.IsCancellationRequested)
            {
                _cts.Cancel();
            }
            Response?.Dispose();
        }
    }
}
