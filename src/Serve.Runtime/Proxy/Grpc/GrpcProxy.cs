using System.Diagnostics;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Serve.Control;
using Serve.Dispatch;
using Serve.Grpc;
using Serve.Protos;
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

    internal const string ServeApiService = "ray.serve.RayServeAPIService";
    internal const string ListApplicationsPath = "/ray.serve.RayServeAPIService/ListApplications";
    internal const string HealthzPath = "/ray.serve.RayServeAPIService/Healthz";

    /// <summary>Longest grpc-message we send: clients cap header blocks at about 8 KB.</summary>
    private const int MaxStatusDetailLength = 4096;

    private readonly ServeController _controller;
    private readonly GrpcProxyOptions _options;
    private readonly ILogger<GrpcProxy> _logger;

    public GrpcProxy(ServeController controller, GrpcProxyOptions options, ILogger<GrpcProxy> logger)
    {
        _controller = controller;
        _options = options;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;

        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Connection = "Upgrade";
            response.Headers.Upgrade = "HTTP/2";
            await response.WriteAsync("gRPC requires HTTP/2.", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            WriteTrailersOnly(response, StatusCode.Internal, $"Content-Type '{request.ContentType}' is not supported.");
            return;
        }
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            WriteTrailersOnly(response, StatusCode.Internal, $"Method '{request.Method}' is not supported; gRPC uses POST.");
            return;
        }

        // Case-sensitive, undecoded: gRPC method names are exact (`__call__` is not `__CALL__`).
        var path = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.AcceptEncodingValue;

        Metadata metadata;
        try
        {
            metadata = GrpcMetadataCodec.ReadRequestMetadata(request.Headers);
        }
        catch (RpcException ex)
        {
            WriteTrailersOnly(response, ex.StatusCode, ex.Status.Detail);
            return;
        }

        var requestId = metadata.GetValue(RequestIdKey);
        if (string.IsNullOrEmpty(requestId))
        {
            requestId = Guid.NewGuid().ToString();
        }

        if (path.StartsWith("/" + ServeApiService + "/", StringComparison.Ordinal))
        {
            await HandleServeApiAsync(context, path, requestId).ConfigureAwait(false);
            return;
        }

        var routes = _controller.Routes;
        if (!TryResolveApplication(routes, metadata, out var app, out var notFound))
        {
            await WriteErrorAsync(response, new Status(StatusCode.NotFound, notFound), requestId, trailers: null).ConfigureAwait(false);
            return;
        }
        if (!app.GrpcMethods.TryGetValue(path, out var method))
        {
            await WriteErrorAsync(response, new Status(StatusCode.Unimplemented, $"Method '{path}' is not implemented by application '{app.Name}'."), requestId, trailers: null).ConfigureAwait(false);
            return;
        }

        await InvokeAsync(context, app, method, metadata, requestId).ConfigureAwait(false);
    }

    private async Task InvokeAsync(HttpContext context, ApplicationState app, GrpcMethodDefinition method, Metadata metadata, string requestId)
    {
        var response = context.Response;
        var timeout = _options.RequestTimeout;
        var timeoutHeader = context.Request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutHeader.Count > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader.ToString(), out var clientTimeout))
            {
                await WriteErrorAsync(response, new Status(StatusCode.Internal, $"Invalid grpc-timeout value '{timeoutHeader}'."), requestId, trailers: null).ConfigureAwait(false);
                return;
            }
            // The smaller of the server's request_timeout_s and the client's deadline wins.
            if (timeout is null || clientTimeout < timeout)
            {
                timeout = clientTimeout;
            }
        }

        var requestContext = new ServeRequestContext(requestId, app.Name, metadata.GetValue(MultiplexedModelIdKey) ?? "", method.Path);
        var call = new ProxyServerCall(context, method, requestContext, _options.MaxSendMessageSize);
        using var deadline = timeout is { } t ? new CancellationTokenSource(t) : null;
        using var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        var token = linked?.Token ?? context.RequestAborted;

        var started = Stopwatch.GetTimestamp();
        Status status;
        Metadata? userTrailers = null;
        GrpcRequestMessage message = default;
        try
        {
            message = await GrpcMessageReader.ReadSingleMessageAsync(
                context.Request.BodyReader,
                new GrpcReadOptions(_options.MaxReceiveMessageSize, context.Request.Headers[GrpcProtocol.EncodingHeader].ToString()),
                token).ConfigureAwait(false);
            call.SetRequest(message.Payload, token);

            using var lease = await app.Ingress.Router.AcquireAsync(token).ConfigureAwait(false);
            ServeRequestContext.SetCurrent(requestContext);
            await method.Invoker(lease.Replica.Instance, call).ConfigureAwait(false);
            status = Status.DefaultSuccess;
        }
        catch (Exception ex)
        {
            status = ToStatus(ex, requestId, timeout, deadline?.IsCancellationRequested == true, context.RequestAborted.IsCancellationRequested);
            userTrailers = (ex as RpcException)?.Trailers;
            if (status.StatusCode == StatusCode.Internal)
            {
                LogCallFailed(method.Path, requestId, ex);
            }
        }
        finally
        {
            ServeRequestContext.SetCurrent(null);
            message.Complete();
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream: nothing can reach it any more.
            LogClientGone(method.Path, requestId);
            return;
        }

        if (call.ResponseStarted)
        {
            AppendTrailers(response, status, requestId, userTrailers);
        }
        else
        {
            await WriteErrorAsync(response, status, requestId, userTrailers).ConfigureAwait(false);
        }
        if (status.StatusCode == StatusCode.DeadlineExceeded)
        {
            // Tell the client the server gave up; grpc-dotnet does the same (RST_STREAM CANCEL).
            await response.CompleteAsync().ConfigureAwait(false);
            context.Features.Get<IHttpResetFeature>()?.Reset(8);
        }
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            LogCallFinished(method.Path, app.Name, requestId, status.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static bool TryResolveApplication(RouteTable routes, Metadata metadata, out ApplicationState app, out string error)
    {
        var name = metadata.GetValue(ApplicationKey);
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

    private async Task HandleServeApiAsync(HttpContext context, string path, string requestId)
    {
        var response = context.Response;
        var isList = path == ListApplicationsPath;
        if (!isList && path != HealthzPath)
        {
            await WriteErrorAsync(response, new Status(StatusCode.Unimplemented, $"Method '{path}' is not implemented."), requestId, trailers: null).ConfigureAwait(false);
            return;
        }

        GrpcRequestMessage message = default;
        try
        {
            // The request messages are empty, but must still be well-formed frames.
            message = await GrpcMessageReader.ReadSingleMessageAsync(
                context.Request.BodyReader,
                new GrpcReadOptions(_options.MaxReceiveMessageSize, context.Request.Headers[GrpcProtocol.EncodingHeader].ToString()),
                context.RequestAborted).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            await WriteErrorAsync(response, ex.Status, requestId, trailers: null).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            return;
        }
        finally
        {
            message.Complete();
        }

        var routes = _controller.Routes;
        if (_controller.IsDraining)
        {
            await WriteErrorAsync(response, new Status(StatusCode.Unavailable, "This node is being drained."), requestId, trailers: null).ConfigureAwait(false);
            return;
        }
        if (!routes.Populated)
        {
            await WriteErrorAsync(response, new Status(StatusCode.Unavailable, "Route table is not populated yet."), requestId, trailers: null).ConfigureAwait(false);
            return;
        }

        IMessage reply = isList
            ? new ListApplicationsResponse { ApplicationNames = { routes.ApplicationNames } }
            : new HealthzResponse { Message = "success" };
        GrpcMessageWriter.WriteMessage(response.BodyWriter, reply, _options.MaxSendMessageSize);
        AppendTrailers(response, Status.DefaultSuccess, requestId, trailers: null);
    }

    private static Status ToStatus(Exception ex, string requestId, TimeSpan? timeout, bool deadlineFired, bool clientGone) => ex switch
    {
        RpcException rpc => rpc.Status,
        BackpressureException => new Status(StatusCode.ResourceExhausted, ex.Message),
        NoReplicaException => new Status(StatusCode.Unavailable, ex.Message),
        OperationCanceledException when deadlineFired && !clientGone =>
            new Status(StatusCode.DeadlineExceeded, $"Request timed out after {timeout!.Value.TotalSeconds:0.###}s."),
        OperationCanceledException when clientGone =>
            new Status(StatusCode.Cancelled, $"Client for request {requestId} disconnected."),
        _ => new Status(StatusCode.Internal, Truncate(ex.ToString())),
    };

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
        // request_id first, then the user's trailers, as Ray Serve sends them.
        response.AppendTrailer(RequestIdKey, requestId);
        if (trailers is not null)
        {
            foreach (var entry in trailers)
            {
                response.AppendTrailer(entry.Key, GrpcMetadataCodec.EncodeValue(entry));
            }
        }
        response.AppendTrailer(GrpcProtocol.StatusHeader, GrpcProtocol.ToStatusString(status.StatusCode));
        if (!string.IsNullOrEmpty(status.Detail))
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, GrpcStatusMessage.Encode(status.Detail));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "gRPC {Path} app={App} request_id={RequestId} status={Status} {ElapsedMs:0.###} ms")]
    private partial void LogCallFinished(string path, string app, string requestId, StatusCode status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "gRPC {Path} request_id={RequestId} failed")]
    private partial void LogCallFailed(string path, string requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "gRPC {Path} request_id={RequestId}: client disconnected (CANCELLED)")]
    private partial void LogClientGone(string path, string requestId);
}
