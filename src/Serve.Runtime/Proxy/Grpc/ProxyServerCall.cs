using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Serve.Dispatch;
using Serve.Routing;
using Serve.Wire;

namespace Serve.Proxy.Grpc;

/// <summary>
/// A gRPC call arriving through the proxy, as the generated dispatch code sees it: the request
/// payload still in Kestrel's buffers (or streamed from them), responses framed straight into the
/// response pipe.
/// </summary>
internal sealed class ProxyServerCall : GrpcServerCall, IReplicaCall
{
    private readonly HttpContext _httpContext;
    private readonly PipeWriter _writer;
    private readonly GrpcMethodDefinition _method;
    private readonly GrpcReadOptions _readOptions;
    // Not readonly: the method may choose the response compression (GrpcContext) before its first message.
    private GrpcWriteOptions _writeOptions;
    private readonly string _acceptEncoding;
    private readonly bool _flushEachMessage;
    private readonly DateTime? _deadline;
    private readonly ServeRequestContext _requestContext;
    // Only calls with a deadline can see a second writer (the deadline's status); others skip the lock.
    private readonly SemaphoreSlim? _writeLock;
    private ReadOnlySequence<byte> _payload;
    private GrpcRequestMessage _message;
    private CancellationToken _cancellationToken;
    private GrpcContext? _grpcContext;
    private int _messagesWritten;
    private bool _clientGone;
    private readonly MemoryBudget _streamBudget;
    private StreamWriteBehind? _stream;

    public ProxyServerCall(HttpContext httpContext, GrpcMethodDefinition method, ServeRequestContext requestContext,
        GrpcReadOptions readOptions, GrpcWriteOptions writeOptions, MemoryBudget streamBudget, DateTime? deadline, string acceptEncoding)
    {
        _acceptEncoding = acceptEncoding;
        _streamBudget = streamBudget;
        _httpContext = httpContext;
        _writer = httpContext.Response.BodyWriter;
        _method = method;
        _requestContext = requestContext;
        _readOptions = readOptions;
        _writeOptions = writeOptions;
        _deadline = deadline;
        _flushEachMessage = method.MethodType is GrpcMethodType.ServerStreaming or GrpcMethodType.DuplexStreaming;
        _writeLock = deadline is null ? null : new SemaphoreSlim(1, 1);
    }

    public override ServeRequestContext RequestContext => _requestContext;

    /// <summary>The method called.</summary>
    public GrpcMethodDefinition Method => _method;

    public override CancellationToken CancellationToken => _cancellationToken;

    public override ReadOnlySequence<byte> RequestPayload => _payload;

    public override GrpcContext GrpcContext => _grpcContext ??= new GrpcContext(
        _method.Path, GrpcMetadataCodec.ReadRequestMetadata(_httpContext.Request.Headers), FormatPeer(_httpContext.Connection), _deadline, _cancellationToken);

    /// <summary>The context when the method asked for it; null otherwise (no allocation).</summary>
    public GrpcContext? GrpcContextIfCreated => _grpcContext;

    /// <summary>True once a message was written: the status then goes in trailers after the data.</summary>
    public bool ResponseStarted => Volatile.Read(ref _messagesWritten) > 0;

    /// <summary>Set when the call ended early (deadline): later writes from a still-running method are dropped.</summary>
    public bool Completed { get; private set; }

    /// <summary>
    /// True once reading the request or writing the response found the client gone (a reset stream, a closed or
    /// faulted connection), which Kestrel may report before <see cref="HttpContext.RequestAborted"/> fires.
    /// </summary>
    public bool ClientGone => _clientGone || _stream?.ClientGone == true;

    /// <summary>Reads the single request message of a unary or server-streaming call and makes it the payload.</summary>
    /// <exception cref="RpcException">The status the call must end with (framing, size, encoding).</exception>
    /// <exception cref="OperationCanceledException">The call was cancelled, or the client left (<see cref="ClientGone"/>).</exception>
    private ValueTask ReadSingleRequestAsync()
    {
        var reading = GrpcMessageReader.ReadSingleMessageAsync(_httpContext.Request.BodyReader, _readOptions, _cancellationToken);
        if (reading.IsCompletedSuccessfully)
        {
            Keep(reading.Result);
            return default;
        }
        return AwaitRequestAsync(reading);
    }

    private async ValueTask AwaitRequestAsync(ValueTask<GrpcRequestMessage> reading)
    {
        try
        {
            Keep(await reading.ConfigureAwait(false));
        }
        catch (Exception ex) when (IsDeparture(ex))
        {
            throw Departed(ex);
        }
    }

    private void Keep(GrpcRequestMessage message)
    {
        _message = message;
        _payload = message.Payload;
    }

    /// <summary>
    /// Kestrel's report of a client that left: an aborted or reset stream (<see cref="IOException"/>, or a
    /// <see cref="OperationCanceledException"/> not from the call's own token). A request Kestrel itself refused (too
    /// slow, too large) is a <see cref="BadHttpRequestException"/>, which is not a departure.
    /// </summary>
    private bool IsDeparture(Exception ex)
        => ex is IOException and not BadHttpRequestException
           || (ex is OperationCanceledException && !_cancellationToken.IsCancellationRequested);

    private OperationCanceledException Departed(Exception? cause)
    {
        _clientGone = true;
        return new OperationCanceledException("The client went away.", cause, _cancellationToken);
    }

    public void SetCancellationToken(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    /// <inheritdoc />
    /// <remarks>A unary or server-streaming call's one message is read before a replica is taken; a streamed request
    /// is read by the method itself.</remarks>
    public ValueTask PrepareAsync()
        => _method.MethodType is GrpcMethodType.ClientStreaming or GrpcMethodType.DuplexStreaming ? default : ReadSingleRequestAsync();

    /// <inheritdoc />
    public ValueTask InvokeAsync(object instance) => _method.Invoker(instance, this);

    /// <inheritdoc />
    public Task AnswerDeadlineAsync(TimeSpan timeout) => GrpcProxy.AnswerDeadlineAsync(_httpContext, this, _requestContext.RequestId, timeout);

    /// <inheritdoc />
    public Task AnswerUnavailableAsync(string message)
        => GrpcProxy.AnswerEarlyAsync(_httpContext, this, _requestContext.RequestId, new Status(StatusCode.Unavailable, message));

    /// <inheritdoc />
    public void Release() => _message.Complete();

    public override async IAsyncEnumerable<T> ReadRequestsAsync<T>(MessageParser<T> parser, string messageName)
    {
        var reader = _httpContext.Request.BodyReader;
        while (true)
        {
            GrpcRequestMessage? next;
            try
            {
                next = await GrpcMessageReader.TryReadNextMessageAsync(reader, _readOptions, _cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsDeparture(ex))
            {
                throw Departed(ex);
            }
            if (next is not { } message)
            {
                yield break;
            }
            T parsed;
            try
            {
                parsed = GrpcDispatch.Parse(parser, message.Payload, messageName);
            }
            finally
            {
                message.Complete();
            }
            yield return parsed;
        }
    }

    public override ValueTask WriteResponseAsync(IMessage message)
    {
        if (_writeLock is null && !_flushEachMessage)
        {
            // A unary or client-streaming call without a deadline: one write into the pipe, nothing to await.
            try
            {
                _cancellationToken.ThrowIfCancellationRequested();
                WriteMessage(message, _writer);
                return default;
            }
            catch (Exception ex)
            {
                return ValueTask.FromException(ex);
            }
        }
        return WriteResponseLockedAsync(message);
    }

    private async ValueTask WriteResponseLockedAsync(IMessage message)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (_writeLock is not null)
        {
            await _writeLock.WaitAsync(_cancellationToken).ConfigureAwait(false);
        }
        try
        {
            if (!_flushEachMessage)
            {
                WriteMessage(message, _writer);
                return;
            }
            // Each message of a stream is sent as it is produced, unless the client lags (see StreamWriteBehind). Its
            // flushes end only with the client: a deadline abandons the stream and resets it (RST_STREAM CANCEL),
            // where a flush cancelled by the deadline would make Kestrel reset it with INTERNAL_ERROR.
            _stream ??= new StreamWriteBehind(_writer, _streamBudget, _httpContext.RequestAborted);
            WriteMessage(message, _stream.BeginMessage());
            // A client found gone there is the stream's ClientGone.
            await _stream.EndMessageAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock?.Release();
        }
    }

    /// <summary>
    /// Waits until the messages kept for a lagging client reached its stream: the proxy calls it once the method
    /// returned and gave its replica slot back, before it ends the call.
    /// </summary>
    public Task DrainResponsesAsync() => _stream?.DrainAsync() ?? Task.CompletedTask;

    /// <summary>True when the call streamed responses (so <see cref="DrainResponsesAsync"/> may have something to wait for).</summary>
    public bool StreamedResponses => _stream is not null;

    /// <summary>Frames <paramref name="message"/> into <paramref name="destination"/> (not flushed).</summary>
    private void WriteMessage(IMessage message, IBufferWriter<byte> destination)
    {
        // A unary method that set a non-OK code through its context sends the status, not the message.
        if (_grpcContext is { StatusCode: not StatusCode.OK } && !_flushEachMessage)
        {
            return;
        }
        if (Completed)
        {
            throw new OperationCanceledException("The call already ended.");
        }
        if (_messagesWritten == 0)
        {
            if (_grpcContext?.ResponseCompressionAlgorithm is { } algorithm)
            {
                _writeOptions = new GrpcWriteOptions(algorithm == GrpcProtocol.GzipEncoding && GrpcCompression.AcceptsGzip(_acceptEncoding),
                    _writeOptions.MaxSendMessageSize, _writeOptions.CompressionLevel);
            }
            if (_writeOptions.Compress)
            {
                _httpContext.Response.Headers[GrpcProtocol.EncodingHeader] = GrpcProtocol.GzipEncoding;
            }
        }
        GrpcMessageWriter.WriteMessage(destination, message, _writeOptions);
        // One writer at a time (the method's, or the write lock's holder when a deadline may write too), so no
        // interlocked add; the volatile write publishes it to ResponseStarted.
        Volatile.Write(ref _messagesWritten, _messagesWritten + 1);
    }

    /// <summary>
    /// Ends the call for the method's writers (deadline passed); waits for a write in progress. Returns false when a
    /// lagging client's stream still waits for a flush: nothing more may be written to it, only reset.
    /// </summary>
    public async ValueTask<bool> CompleteEarlyAsync()
    {
        // A writer waiting for a lagging client to make room gives up first, so that the lock comes free.
        _stream?.Abandon();
        if (_writeLock is not null)
        {
            await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            Completed = true;
            _writeLock.Release();
        }
        else
        {
            Completed = true;
        }
        return _stream?.Abandon() != true;
    }

    /// <summary>gRPC's peer format: <c>ipv4:127.0.0.1:5000</c>, <c>ipv6:[::1]:5000</c>.</summary>
    internal static string FormatPeer(ConnectionInfo connection)
    {
        var ip = connection.RemoteIpAddress;
        if (ip is null)
        {
            return "unknown";
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        return ip.AddressFamily == AddressFamily.InterNetworkV6
            ? $"ipv6:[{ip}]:{connection.RemotePort}"
            : $"ipv4:{ip}:{connection.RemotePort}";
    }
}
