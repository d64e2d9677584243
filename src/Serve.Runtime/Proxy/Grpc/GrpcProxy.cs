using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using Serve.Control;
using Serve.Dispatch;
using Serve.Routing;
using Serve.Wire;

namespace Serve.Proxy.Grpc;

/// <summary>
/// The gRPC proxy: reads <c>:path</c> and the Serve metadata of each call, picks the application,
/// sends the call to a replica of its ingress through the router, and writes frames, status and
/// trailing metadata (<c>request_id</c> first). Also serves <c>ray.serve.RayServeAPIService</c>.
/// </summary>
internal sealed partial class GrpcProxy
{
    /// <summary>Metadata keys Serve reads, as in Ray Serve.</summary>
    internal const string ApplicationKey = "application";
    internal const string RequestIdKey = "request_id";
    internal const string MultiplexedModelIdKey = "multiplexed_model_id";

    /// <summary>Longest grpc-message we send: clients cap header blocks at about 8 KB.</summary>
    private const int MaxStatusDetailLength = 4096;

    private readonly ServeController _controller;
    private readonly GrpcProxyOptions _options;
    private readonly ILogger<GrpcProxy> _logger;
    private readonly BuiltIn.BuiltInServices _builtIn;
    private readonly bool _accessLogEnabled;
    private readonly bool _liftBodyLimitAlways;
    private readonly TimeProvider _time;
    private readonly MemoryBudget _streamBudget = new(StreamWriteBehind.MaxBufferedPerProxy);

    /// <summary>Creates the proxy; <paramref name="time"/> is the clock deadlines run on (the system's unless a test drives one).</summary>
    public GrpcProxy(ServeController controller, GrpcProxyOptions options, ILogger<GrpcProxy> logger, BuiltIn.BuiltInServices builtIn, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _builtIn = builtIn;
        _controller = controller;
        _options = options;
        _logger = logger;
        _accessLogEnabled = options.EnableAccessLog && logger.IsEnabled(LogLevel.Information);
        _liftBodyLimitAlways = options.SingleMessageMayExceedServerLimit;
    }

    /// <summary>
    /// One call. Not async itself: the checks before the method are synchronous, so the common path runs
    /// one state machine (<see cref="InvokeAsync"/>) rather than two. Every call gets one access line (when the access
    /// log is on) with the status the client was sent, or CANCELLED when it left first.
    /// </summary>
    public Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        // Read only by the access log and deadlines: one clock read fewer per call when neither needs it.
        var started = _accessLogEnabled ? _time.GetTimestamp() : 0;

        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return RejectAsync(context, started, StatusCode.Internal, $"Method '{request.Method}' is not supported; gRPC uses POST.");
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return RejectAsync(context, started, StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported.");
        }

        // Case-sensitive, undecoded: gRPC method names are exact (`__call__` is not `__CALL__`).
        var path = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers.GrpcAcceptEncoding = GrpcProtocol.AcceptEncodingValue;

        GrpcCallHeaders headers;
        try
        {
            // The keys Serve reads, straight from the headers: the full Metadata is built only when a
            // method asks for its GrpcContext.
            headers = GrpcCallHeaders.Read(request.Headers);
        }
        catch (RpcException ex)
        {
            return RejectAsync(context, started, ex.StatusCode, ex.Status.Detail);
        }
        var requestId = RequestIds.FromClient(headers.RequestId);

        if (BuiltIn.BuiltInServices.Handles(path))
        {
            // Ray's API service, grpc.health.v1.Health and server reflection: the proxy's own.
            return Logged(_builtIn.HandleAsync(context, path, requestId, context.RequestAborted), context, path, requestId, started);
        }

        var routes = _controller.Routes;
        if (!TryResolveApplication(routes, headers.Application, out var app, out var notFound))
        {
            return Logged(WriteErrorAsync(response, new Status(StatusCode.NotFound, notFound), requestId, trailers: null), context, path, requestId, started);
        }
        if (!app.GrpcMethods.TryGetValue(path, out var method))
        {
            return Logged(WriteErrorAsync(response, new Status(StatusCode.Unimplemented, $"Method '{path}' is not implemented by application '{app.Name}'."), requestId, trailers: null),
                context, path, requestId, started, app.Name);
        }

        return InvokeAsync(context, app, method, requestId, headers, started);
    }

    /// <summary>A call refused before its request id is known: status and message in the only HEADERS frame.</summary>
    private Task RejectAsync(HttpContext context, long started, StatusCode code, string detail)
    {
        WriteTrailersOnly(context.Response, code, detail);
        if (_accessLogEnabled)
        {
            var target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
            LogAccess(target, "", "", code, _time.GetElapsedTime(started).TotalMilliseconds);
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// <paramref name="handling"/>, then its access line with the status it wrote (the Serve API, health,
    /// reflection and calls refused before a method runs); the task itself when nothing logs.
    /// </summary>
    private Task Logged(Task handling, HttpContext context, string path, string requestId, long started, string app = "")
        => _accessLogEnabled ? LogWhenDoneAsync(handling, context, path, requestId, started, app) : handling;

    private async Task LogWhenDoneAsync(Task handling, HttpContext context, string path, string requestId, long started, string app)
    {
        try
        {
            await handling.ConfigureAwait(false);
        }
        finally
        {
            LogAccess(path, app, requestId, WrittenStatus(context), _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>The grpc-status written to the call (in its trailers, or its only headers); CANCELLED when the client left before one was.</summary>
    private static StatusCode WrittenStatus(HttpContext context)
    {
        if (context.RequestAborted.IsCancellationRequested)
        {
            return StatusCode.Cancelled;
        }
        var written = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers[GrpcProtocol.StatusHeader] ?? default;
        if (written.Count == 0)
        {
            written = context.Response.Headers[GrpcProtocol.StatusHeader];
        }
        return int.TryParse(written.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? (StatusCode)code
            : StatusCode.Unknown;
    }

    /// <summary>
    /// The call, sent to a replica. Not async itself: when the request was buffered, a replica free and the method
    /// synchronous, the whole call completes without a state machine; any step that must wait continues in one.
    /// </summary>
    private Task InvokeAsync(HttpContext context, ApplicationState app, GrpcMethodDefinition method, string requestId, GrpcCallHeaders headers, long started)
    {
        var response = context.Response;
        var timeout = _options.RequestTimeout;
        if (headers.Timeout is { } timeoutHeader)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out var clientTimeout))
            {
                return Logged(WriteErrorAsync(response, new Status(StatusCode.Internal, $"Invalid grpc-timeout value '{timeoutHeader}'."), requestId, trailers: null),
                    context, method.Path, requestId, started, app.Name);
            }
            // The smaller of the server's request_timeout_s and the client's deadline wins. gRPC allows deadlines
            // (up to 99999999H) that no timer can hold: those mean no practical deadline.
            if (Timeouts.ClientDeadline(clientTimeout) is { } armed && (timeout is null || armed < timeout))
            {
                timeout = armed;
            }
        }

        // Our own frame limit guards message sizes; Kestrel's body limit would cut long streams. A single message
        // within our limit fits Kestrel's too (the default), so unary calls skip the feature lookup.
        var streamingRequest = method.MethodType is GrpcMethodType.ClientStreaming or GrpcMethodType.DuplexStreaming;
        if ((streamingRequest || _liftBodyLimitAlways)
            && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody)
        {
            maxBody.MaxRequestBodySize = null;
        }
        if (streamingRequest && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRate)
        {
            minRate.MinDataRate = null;
        }

        var requestContext = new ServeRequestContext(requestId, app.Name, headers.MultiplexedModelId, method.Path);
        var readOptions = new GrpcReadOptions(_options.MaxReceiveMessageSize, headers.Encoding);
        var compress = _options.ResponseCompression && GrpcCompression.AcceptsGzip(headers.AcceptEncoding);
        var writeOptions = new GrpcWriteOptions(compress, _options.MaxSendMessageSize);
        var call = new ProxyServerCall(context, method, requestContext, readOptions, writeOptions, _streamBudget,
            timeout is { } d ? _time.GetUtcNow().UtcDateTime + d : null, headers.AcceptEncoding);
        if (timeout is not null && started == 0)
        {
            started = _time.GetTimestamp();
        }
        // Read once: Kestrel takes a lock on each read of RequestAborted.
        var requestAborted = context.RequestAborted;
        var running = ReplicaCallRunner.RunAsync(app.Ingress.Router, call, timeout, _time, requestAborted);
        return running.IsCompletedSuccessfully
            ? Finish(context, app.Name, call, running.Result, timeout, started, requestAborted)
            : FinishWhenRunAsync(context, app.Name, call, running, timeout, started, requestAborted);
    }

    private async Task FinishWhenRunAsync(HttpContext context, string appName, ProxyServerCall call, ValueTask<ReplicaCallOutcome> running, TimeSpan? timeout,
        long started, CancellationToken requestAborted)
    {
        var outcome = await running.ConfigureAwait(false);
        await Finish(context, appName, call, outcome, timeout, started, requestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the call the way its outcome says: trailers after the messages (synchronous, the common end), the status in
    /// an answer of its own, or nothing for a client that left; then its access line.
    /// </summary>
    private Task Finish(HttpContext context, string appName, ProxyServerCall call, ReplicaCallOutcome outcome, TimeSpan? timeout, long started,
        CancellationToken requestAborted)
    {
        var path = call.Method.Path;
        var requestId = call.RequestContext.RequestId;
        if (outcome.Result is ReplicaCallResult.DeadlineAnswered or ReplicaCallResult.UnavailableAnswered)
        {
            LogEnd(path, appName, requestId, outcome.Result == ReplicaCallResult.DeadlineAnswered ? StatusCode.DeadlineExceeded : StatusCode.Unavailable, started);
            return Task.CompletedTask;
        }
        if (requestAborted.IsCancellationRequested || call.ClientGone)
        {
            // The client reset the stream or its connection went: nothing can reach it any more.
            LogEnd(path, appName, requestId, DepartedStatus(outcome, timeout, started), started);
            return Task.CompletedTask;
        }

        var status = StatusOf(outcome, call, path, requestId, timeout);
        var trailers = MergeTrailers(call.GrpcContextIfCreated, (outcome.Exception as RpcException)?.Trailers);
        // A deadline answer carries no user trailers, so only other answers are checked.
        if (trailers is not null && status.StatusCode != StatusCode.DeadlineExceeded && GrpcMetadataCodec.FindUnsendableTextValue(trailers) is { } badKey)
        {
            // Written as is, it would reset the stream: the client would get no status and no request_id.
            LogUnsendableTrailer(path, requestId, badKey, status.StatusCode);
            status = new Status(StatusCode.Internal, $"Trailing metadata '{badKey}' set by the deployment has a value gRPC cannot send: text values "
                + $"must be printable ASCII (0x20-0x7E). Send other text as UTF-8 bytes under a key ending in '-bin'. (The call's own status was {status.StatusCode}.)");
            trailers = null;
        }
        if (status.StatusCode == StatusCode.DeadlineExceeded || !call.ResponseStarted)
        {
            return WriteStatusAsync(context, appName, call, outcome, status, trailers, timeout, started, requestAborted);
        }
        try
        {
            AppendTrailers(context.Response, status, requestId, trailers);
        }
        catch (Exception ex) when (IsDeparture(ex, requestAborted))
        {
            status = new Status(DepartedStatus(outcome, timeout, started), "");
        }
        LogEnd(path, appName, requestId, status.StatusCode, started);
        return Task.CompletedTask;
    }

    /// <summary>A status with no message before it (an error, a unary method's own code) or a deadline's answer.</summary>
    private async Task WriteStatusAsync(HttpContext context, string appName, ProxyServerCall call, ReplicaCallOutcome outcome, Status status, Metadata? trailers,
        TimeSpan? timeout, long started, CancellationToken requestAborted)
    {
        var requestId = call.RequestContext.RequestId;
        try
        {
            if (status.StatusCode == StatusCode.DeadlineExceeded)
            {
                await AnswerDeadlineAsync(context, call, requestId, timeout ?? TimeSpan.Zero).ConfigureAwait(false);
            }
            else
            {
                await WriteErrorAsync(context.Response, status, requestId, trailers).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsDeparture(ex, requestAborted))
        {
            status = new Status(DepartedStatus(outcome, timeout, started), "");
        }
        LogEnd(call.Method.Path, appName, requestId, status.StatusCode, started);
    }

    /// <summary>The client left while its status was being written.</summary>
    private static bool IsDeparture(Exception ex, CancellationToken requestAborted)
        => ex is IOException or OperationCanceledException or InvalidOperationException && requestAborted.IsCancellationRequested;

    /// <summary>The status a call's outcome ends it with; unexpected exceptions are logged with their stack trace.</summary>
    private Status StatusOf(in ReplicaCallOutcome outcome, ProxyServerCall call, string path, string requestId, TimeSpan? timeout)
    {
        switch (outcome.Result)
        {
            case ReplicaCallResult.Completed:
                return call.GrpcContextIfCreated is { } grpcContext ? new Status(grpcContext.StatusCode, grpcContext.Detail) : Status.DefaultSuccess;
            case ReplicaCallResult.TimedOut:
                return new Status(StatusCode.DeadlineExceeded, Timeouts.TimedOutMessage(timeout!.Value));
            case ReplicaCallResult.ClientGone:
                return new Status(StatusCode.Cancelled, $"Client for request {requestId} disconnected.");
            case ReplicaCallResult.BackPressure:
                return new Status(StatusCode.ResourceExhausted, outcome.Exception!.Message);
            case ReplicaCallResult.Unavailable:
                return new Status(StatusCode.Unavailable, outcome.Exception!.Message);
            default:
                if (outcome.Exception is RpcException rpc)
                {
                    // The wire layer's or the method's own choice: the client's doing or expected.
                    return rpc.Status;
                }
                // Only unexpected exceptions deserve an error log with a stack trace.
                LogCallFailed(path, requestId, outcome.Exception!);
                return new Status(StatusCode.Internal, Truncate(outcome.Exception!.ToString()));
        }
    }

    /// <summary>
    /// What a client that left saw: DEADLINE_EXCEEDED when the deadline had (about) passed, since clients enforce their
    /// own deadline and reset the stream as it passes, usually a moment before the server's timer fires; else CANCELLED.
    /// </summary>
    private StatusCode DepartedStatus(in ReplicaCallOutcome outcome, TimeSpan? timeout, long started)
        => timeout is { } t && (outcome.DeadlinePassed || _time.GetElapsedTime(started) >= t - DeadlineSlack)
            ? StatusCode.DeadlineExceeded
            : StatusCode.Cancelled;

    /// <summary>How much earlier than the server a client's deadline may pass: its clock started before the request was sent.</summary>
    private static readonly TimeSpan DeadlineSlack = TimeSpan.FromMilliseconds(20);

    /// <summary>DEADLINE_EXCEEDED with Ray Serve's message, then a stream reset, as grpc-dotnet does.</summary>
    internal static Task AnswerDeadlineAsync(HttpContext context, ProxyServerCall call, string requestId, TimeSpan timeout)
        => AnswerEarlyAsync(context, call, requestId, new Status(StatusCode.DeadlineExceeded, Timeouts.TimedOutMessage(timeout)));

    /// <summary>Ends a call whose method still runs with <paramref name="status"/> (a passed deadline, a stopped replica).</summary>
    internal static async Task AnswerEarlyAsync(HttpContext context, ProxyServerCall call, string requestId, Status status)
    {
        // Later writes from the still-running method are dropped. A lagging client whose stream still waits for a
        // flush cannot be written to any more: it only gets the reset.
        if (await call.CompleteEarlyAsync().ConfigureAwait(false))
        {
            try
            {
                if (call.ResponseStarted)
                {
                    AppendTrailers(context.Response, status, requestId, trailers: null);
                }
                else
                {
                    await WriteErrorAsync(context.Response, status, requestId, trailers: null).ConfigureAwait(false);
                }
                await context.Response.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException
                || (ex is InvalidOperationException && context.RequestAborted.IsCancellationRequested))
            {
                // The client left meanwhile: its own deadline usually passes a moment before the server's, and its reset
                // can land while the answer is written. Still a deadline answer, not the method's failure.
            }
        }
        // RST_STREAM(CANCEL) tells the client the server stopped reading its request.
        context.Features.Get<IHttpResetFeature>()?.Reset(8);
    }

    private static Metadata? MergeTrailers(GrpcContext? grpcContext, Metadata? exceptionTrailers)
    {
        var fromContext = grpcContext is { HasResponseTrailers: true } c ? c.ResponseTrailers : null;
        if (fromContext is null || exceptionTrailers is not { Count: > 0 })
        {
            return fromContext ?? exceptionTrailers;
        }
        var merged = new Metadata();
        foreach (var entry in fromContext)
        {
            merged.Add(entry);
        }
        foreach (var entry in exceptionTrailers)
        {
            merged.Add(entry);
        }
        return merged;
    }

    private static bool TryResolveApplication(RouteTable routes, string name, out ApplicationState app, out string error)
    {
        if (string.IsNullOrEmpty(name))
        {
            if (routes.Single is { } only)
            {
                app = only;
                error = "";
                return true;
            }
            app = null!;
            error = "Application metadata not set. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.";
            return false;
        }
        if (routes.Applications.TryGetValue(name, out app!))
        {
            error = "";
            return true;
        }
        error = $"Application '{name}' not found. Ping /ray.serve.RayServeAPIService/ListApplications for available applications.";
        return false;
    }

    private static string Truncate(string detail)
        => detail.Length <= MaxStatusDetailLength ? detail : detail[..MaxStatusDetailLength] + "…";

    /// <summary>
    /// An error once the request id is known: response headers, then trailers with
    /// <c>request_id</c> first. A trailers-only answer would put it after HTTP headers such as
    /// <c>date</c>, which clients report as trailing metadata too.
    /// </summary>
    private static async Task WriteErrorAsync(HttpResponse response, Status status, string requestId, Metadata? trailers)
    {
        if (!response.HasStarted)
        {
            await response.StartAsync().ConfigureAwait(false);
        }
        AppendTrailers(response, status, requestId, trailers);
    }

    /// <summary>
    /// An error before any message: status and metadata go in the single HEADERS frame (Kestrel
    /// ends the stream with it).
    /// </summary>
    private static void WriteTrailersOnly(HttpResponse response, StatusCode code, string detail)
    {
        var headers = response.Headers;
        if (string.IsNullOrEmpty(response.ContentType))
        {
            response.ContentType = GrpcProtocol.ContentType;
        }
        headers[GrpcProtocol.StatusHeader] = GrpcProtocol.ToStatusString(code);
        if (!string.IsNullOrEmpty(detail))
        {
            headers[GrpcProtocol.MessageHeader] = GrpcStatusMessage.Encode(detail);
        }
    }

    private static void AppendTrailers(HttpResponse response, Status status, string requestId, Metadata? trailers)
    {
        // One feature lookup for all of them (HttpResponse.AppendTrailer looks it up per trailer).
        var destination = response.HttpContext.Features.GetRequiredFeature<IHttpResponseTrailersFeature>().Trailers;
        // request_id first, then the user's trailers, as Ray Serve sends them. Serve's own keys are set, not
        // appended (Append reads the current value first); only the user's may repeat a key.
        destination[RequestIdKey] = requestId;
        if (trailers is not null)
        {
            foreach (var entry in trailers)
            {
                destination.Append(entry.Key, GrpcMetadataCodec.EncodeValue(entry));
            }
        }
        destination[GrpcProtocol.StatusHeader] = GrpcProtocol.ToStatusString(status.StatusCode);
        if (!string.IsNullOrEmpty(status.Detail))
        {
            destination[GrpcProtocol.MessageHeader] = GrpcStatusMessage.Encode(status.Detail);
        }
    }

    /// <summary>The access line of a call that started at <paramref name="started"/>, when the access log is on.</summary>
    private void LogEnd(string path, string app, string requestId, StatusCode status, long started)
    {
        if (_accessLogEnabled)
        {
            LogAccess(path, app, requestId, status, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>The access line: one per call, written only when the access log is on (callers check).</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC {Path} app={App} request_id={RequestId} status={Status} {ElapsedMs:0.###} ms")]
    private partial void LogAccess(string path, string app, string requestId, StatusCode status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "gRPC {Path} request_id={RequestId}: trailing metadata '{Key}' has a value that is not printable ASCII; answered INTERNAL instead of {Status}")]
    private partial void LogUnsendableTrailer(string path, string requestId, string key, StatusCode status);

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC {Path} request_id={RequestId} failed")]
    private partial void LogCallFailed(string path, string requestId, Exception exception);

}
