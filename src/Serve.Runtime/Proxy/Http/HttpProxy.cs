using System.Text.Json;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Control;
using Serve.Http;
using Serve.Routing;

namespace Serve.Proxy.Http;

/// <summary>
/// The HTTP proxy: Ray Serve's <c>/-/healthz</c> and <c>/-/routes</c>, longest <c>route_prefix</c>
/// match with Ray's boundary rule, then the ingress deployment's generated route table (or its
/// plain ingress) on a replica chosen by the router. Errors follow Ray Serve and FastAPI:
/// 404/405/413/415/422 for the request, 408 on <c>request_timeout_s</c>, 503 with Retry-After on
/// backpressure, 500 for unhandled exceptions, 499 logged when the client leaves.
/// </summary>
internal sealed partial class HttpProxy
{
    internal const string RequestIdHeader = "x-request-id";
    internal const string MultiplexedModelIdHeader = "serve_multiplexed_model_id";
    internal const int ClientClosedRequest = 499;

    private readonly ServeController _controller;
    private readonly HttpProxyOptions _options;
    private readonly RequestBodyReader _bodies;
    private readonly MemoryBudget _streamBudget = new(StreamWriteBehind.MaxBufferedPerProxy);
    private readonly ILogger<HttpProxy> _logger;
    private readonly bool _accessLogEnabled;
    private readonly TimeProvider _time;

    /// <summary>Creates the proxy; <paramref name="time"/> is the clock deadlines run on (the system's unless a test drives one).</summary>
    public HttpProxy(ServeController controller, HttpProxyOptions options, ILogger<HttpProxy> logger, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _controller = controller;
        _options = options;
        _bodies = new RequestBodyReader(options.MaxRequestBodySize, options.RequestBodyMemoryLimit);
        _logger = logger;
        _accessLogEnabled = options.EnableAccessLog && logger.IsEnabled(LogLevel.Information);
    }

    /// <summary>One request; every request gets one access line (when the access log is on), 499 when the client left first.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        var request = context.Request;
        var response = context.Response;
        var rawTarget = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var path = queryStart < 0 ? rawTarget : rawTarget[..queryStart];

        if (_options.RootPath.Length > 0)
        {
            if (!path.StartsWith(_options.RootPath, StringComparison.Ordinal)
                || (path.Length > _options.RootPath.Length && path[_options.RootPath.Length] != '/'))
            {
                await AnswerAsync(context, WriteTextAsync(context, 404, $"Path '{path}' not found. Ping http://{HostOf(request)}{_options.RootPath}/-/routes for available routes."),
                    path, "", "", started).ConfigureAwait(false);
                return;
            }
            path = path.Length == _options.RootPath.Length ? "/" : path[_options.RootPath.Length..];
        }

        if (path == "/-/healthz")
        {
            await AnswerAsync(context, _controller.IsDraining
                ? WriteTextAsync(context, 503, "This node is being drained.")
                : WriteTextAsync(context, 200, "success"), path, "", "", started).ConfigureAwait(false);
            return;
        }
        if (path == "/-/routes")
        {
            response.ContentType = "application/json";
            await AnswerAsync(context, response.WriteAsync(RoutesJson(_controller.Routes), context.RequestAborted), path, "", "", started).ConfigureAwait(false);
            return;
        }

        var requestId = RequestIds.FromClient(request.Headers[RequestIdHeader].ToString());
        response.Headers[RequestIdHeader] = requestId;

        var app = MatchRoute(_controller.Routes, path);
        if (app is null)
        {
            await AnswerAsync(context, WriteTextAsync(context, 404, $"Path '{path}' not found. Ping http://{HostOf(request)}{_options.RootPath}/-/routes for available routes."),
                path, "", requestId, started).ConfigureAwait(false);
            return;
        }
        var subPath = app.RoutePrefix is "/" or null ? path : path[app.RoutePrefix.TrimEnd('/').Length..];
        if (subPath.Length == 0)
        {
            subPath = "/";
        }

        var definition = app.Ingress.Definition;
        if (subPath == "/openapi.json" && definition.OpenApiJson is { } openApi && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)))
        {
            response.ContentType = "application/json";
            await AnswerAsync(context, response.WriteAsync(openApi, context.RequestAborted), path, app.Name, requestId, started).ConfigureAwait(false);
            return;
        }
        if (app.HttpRoutes.IsEmpty)
        {
            await AnswerAsync(context, WriteTextAsync(context, 404, $"Application '{app.Name}' at route prefix '{app.RoutePrefix}' has no HTTP ingress; call it over gRPC."),
                path, app.Name, requestId, started).ConfigureAwait(false);
            return;
        }
        var route = app.HttpRoutes.Match(request.Method, subPath, out var routeValues, out var allowed);
        if (route is null)
        {
            if (allowed is not null)
            {
                response.Headers.Allow = allowed;
            }
            await AnswerAsync(context, allowed is not null ? WriteDetailAsync(context, 405, "Method Not Allowed") : WriteDetailAsync(context, 404, "Not Found"),
                path, app.Name, requestId, started).ConfigureAwait(false);
            return;
        }

        await InvokeAsync(context, app, route, subPath, queryStart < 0 ? "" : rawTarget[queryStart..], routeValues, requestId, started).ConfigureAwait(false);
    }

    /// <summary>Awaits an answer the proxy writes itself, then logs its access line: its status, or 499 when the client left.</summary>
    private async Task AnswerAsync(HttpContext context, Task answering, string path, string app, string requestId, long started)
    {
        try
        {
            await answering.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client left while it was answered.
        }
        if (_accessLogEnabled)
        {
            var status = context.RequestAborted.IsCancellationRequested ? ClientClosedRequest : context.Response.StatusCode;
            LogRequest(context.Request.Method, "", path, app, requestId, status, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private async Task InvokeAsync(HttpContext context, ApplicationState app, Dispatch.HttpRouteDefinition route, string subPath, string queryString, RouteValues routeValues,
        string requestId, long started)
    {
        var request = context.Request;
        var requestContext = new ServeRequestContext(requestId, app.Name, request.Headers[MultiplexedModelIdHeader].ToString(), subPath);
        var call = new ProxyHttpCall(context, route, _bodies, _options.RootPath + (app.RoutePrefix is "/" or null ? "" : app.RoutePrefix.TrimEnd('/')),
            subPath, queryString, routeValues, requestContext, _streamBudget);
        var outcome = await ReplicaCallRunner.RunAsync(app.Ingress.Router, call, _options.RequestTimeout, _time, context.RequestAborted).ConfigureAwait(false);
        var status = outcome.Result switch
        {
            ReplicaCallResult.Completed => context.Response.StatusCode,
            ReplicaCallResult.DeadlineAnswered => StatusCodes.Status408RequestTimeout,
            ReplicaCallResult.UnavailableAnswered => StatusCodes.Status503ServiceUnavailable,
            ReplicaCallResult.ClientGone => ClientClosedRequest,
            _ => await WriteErrorAsync(context, outcome, requestId, route.MethodName).ConfigureAwait(false),
        };
        if ((context.RequestAborted.IsCancellationRequested || call.ClientGone) && !CutByProxy(context))
        {
            // Whatever was written, the client did not wait for all of it.
            status = ClientClosedRequest;
        }
        if (_accessLogEnabled)
        {
            LogRequest(request.Method, app.RoutePrefix is "/" or null ? "" : app.RoutePrefix, subPath, app.Name, requestId, status, _time.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>The answer to a call that did not complete, written unless the response started; returns its status.</summary>
    private async Task<int> WriteErrorAsync(HttpContext context, ReplicaCallOutcome outcome, string requestId, string method)
    {
        var ex = outcome.Exception!;
        var response = context.Response;
        if (response.HasStarted)
        {
            // The status is gone already: cut the response so the client sees it incomplete.
            LogFailedAfterStart(method, requestId, ex);
            Cut(context);
            return StatusCodes.Status500InternalServerError;
        }
        response.Clear();
        response.Headers[RequestIdHeader] = requestId;
        switch (ex)
        {
            case HttpValidationException validation:
                await WriteValidationErrorsAsync(context, validation).ConfigureAwait(false);
                return 422;
            case HttpException http:
                if (http.StatusCode == StatusCodes.Status503ServiceUnavailable)
                {
                    response.Headers.RetryAfter = "1";
                }
                if (http is BodyNotReadException)
                {
                    // The body is left unread, so Kestrel closes the connection after the answer: saying so keeps
                    // clients from sending their next request on it while it closes.
                    response.Headers.Connection = "close";
                }
                await WriteDetailAsync(context, http.StatusCode, http.Detail).ConfigureAwait(false);
                return http.StatusCode;
            case BadHttpRequestException bad:
                await WriteDetailAsync(context, bad.StatusCode, bad.Message).ConfigureAwait(false);
                return bad.StatusCode;
            case BackPressureException or DeploymentUnavailableException:
                response.Headers.RetryAfter = "1";
                await WriteTextAsync(context, 503, ex.Message).ConfigureAwait(false);
                return 503;
            case OperationCanceledException when outcome.Result == ReplicaCallResult.TimedOut:
                await AnswerTimeoutAsync(context, call: null, _options.RequestTimeout!.Value).ConfigureAwait(false);
                return 408;
            case RpcException rpc when rpc.StatusCode is not (StatusCode.OK or StatusCode.Unknown or StatusCode.Internal or StatusCode.DataLoss):
            {
                // A deployment serving gRPC and HTTP says what went wrong once, as a gRPC status: the HTTP
                // caller gets the matching code (the usual gRPC-to-HTTP mapping) and the detail.
                var status = HttpStatusOf(rpc.StatusCode);
                if (status == 503)
                {
                    response.Headers.RetryAfter = "1";
                }
                await WriteDetailAsync(context, status, rpc.Status.Detail).ConfigureAwait(false);
                return status;
            }
            default:
                LogFailed(method, requestId, ex);
                await WriteTextAsync(context, 500, ex.ToString()).ConfigureAwait(false);
                return 500;
        }
    }

    private static readonly object s_cutByProxy = new();

    /// <summary>Cuts the connection of a response that cannot be finished, marking it so the access log keeps the proxy's status.</summary>
    private static void Cut(HttpContext context)
    {
        context.Items[s_cutByProxy] = s_cutByProxy;
        context.Abort();
    }

    /// <summary>True when the proxy cut the connection itself (read only once it was aborted: Items is created on first use).</summary>
    private static bool CutByProxy(HttpContext context) => context.Items.ContainsKey(s_cutByProxy);

    /// <summary>The HTTP status for a gRPC status code, as gRPC-to-HTTP gateways map them.</summary>
    internal static int HttpStatusOf(StatusCode code) => code switch
    {
        StatusCode.Cancelled => 499,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };

    internal static Task AnswerTimeoutAsync(HttpContext context, ProxyHttpCall? call, TimeSpan timeout)
        => AnswerEarlyAsync(context, call, 408, Timeouts.TimedOutMessage(timeout));

    /// <summary>503 for a request whose replica was stopped while its method ran; the method's later writes are dropped.</summary>
    internal static Task AnswerUnavailableAsync(HttpContext context, ProxyHttpCall call, string message)
    {
        if (!context.Response.HasStarted)
        {
            context.Response.Headers.RetryAfter = "1";
        }
        return AnswerEarlyAsync(context, call, 503, message);
    }

    private static async Task AnswerEarlyAsync(HttpContext context, ProxyHttpCall? call, int status, string text)
    {
        if (call?.AbandonStream() == true || context.Response.HasStarted)
        {
            // A stream under way cannot change its status any more: it is cut, as after any error once it started.
            Cut(context);
            return;
        }
        // The method may still run for long (it ignores its token, or its replica was stopped under it): the answer ends
        // now, not when the method returns, or a client reading the whole response would wait for the method too. The
        // HTTP/1.x connection is closed after it: the server reads no next request from it until the method returned,
        // so a client reusing it would wait as long.
        if (HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            context.Response.Headers.Connection = "close";
        }
        await WriteTextAsync(context, status, text).ConfigureAwait(false);
        await context.Response.CompleteAsync().ConfigureAwait(false);
    }

    private static Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    /// <summary>
    /// Error bodies keep quotes and non-ASCII text as they are (<c>'m9'</c>, not <c>\u0027m9\u0027</c>), as
    /// FastAPI writes them: they are served as application/json, never embedded in HTML.
    /// </summary>
    private static readonly JsonWriterOptions ErrorJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>FastAPI's error body: <c>{"detail": "..."}</c>.</summary>
    private static async Task WriteDetailAsync(HttpContext context, int status, string detail)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body, ErrorJson);
        json.WriteStartObject();
        json.WriteString("detail", detail);
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>FastAPI's 422 body: <c>{"detail": [{"type", "loc", "msg", "input"}]}</c>.</summary>
    private static async Task WriteValidationErrorsAsync(HttpContext context, HttpValidationException validation)
    {
        var response = context.Response;
        response.StatusCode = 422;
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body, ErrorJson);
        json.WriteStartObject();
        json.WriteStartArray("detail");
        foreach (var error in validation.Errors)
        {
            json.WriteStartObject();
            json.WriteString("type", error.Type);
            json.WriteStartArray("loc");
            foreach (var part in error.Location)
            {
                json.WriteStringValue(part);
            }
            json.WriteEndArray();
            json.WriteString("msg", error.Message);
            if (error.Input is not null)
            {
                json.WriteString("input", error.Input);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static string HostOf(HttpRequest request) => request.Host.HasValue ? request.Host.Value! : "localhost";

    /// <summary>
    /// The application whose prefix is the longest match for <paramref name="path"/>: <c>/route</c>
    /// matches <c>/route</c> and <c>/route/x</c> but not <c>/routesuffix</c>.
    /// </summary>
    /// <remarks>
    /// A prefix other than <c>/</c> never ends with <c>/</c>, so the only prefixes that can match are the path itself,
    /// the path cut before each of its <c>/</c>, and <c>/</c>: one lookup per path segment, however many applications run.
    /// </remarks>
    internal static ApplicationState? MatchRoute(RouteTable routes, string path)
    {
        var byPrefix = routes.ByRoutePrefix;
        // Absolute-form (http://host/x) and asterisk-form (OPTIONS *) targets match no prefix, as before.
        if (byPrefix.Count == 0 || !path.StartsWith('/'))
        {
            return null;
        }
        var lookup = byPrefix.GetAlternateLookup<ReadOnlySpan<char>>();
        var candidate = path.AsSpan();
        while (candidate.Length > 1)
        {
            if (lookup.TryGetValue(candidate, out var app))
            {
                return app;
            }
            var cut = candidate.LastIndexOf('/');
            if (cut <= 0)
            {
                break;
            }
            candidate = candidate[..cut];
        }
        return lookup.TryGetValue("/", out var root) ? root : null;
    }

    private static string RoutesJson(RouteTable routes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, ErrorJson))
        {
            writer.WriteStartObject();
            foreach (var name in routes.ApplicationNames)
            {
                var app = routes.Applications[name];
                if (app.RoutePrefix is not null)
                {
                    writer.WriteString(app.RoutePrefix, app.Name);
                }
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The access line: one per request, written only when the access log is on (callers check).</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP {Method} {Prefix}{Path} app={App} request_id={RequestId} status={Status} {ElapsedMs:0.###} ms")]
    private partial void LogRequest(string method, string prefix, string path, string app, string requestId, int status, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP {Method} request_id={RequestId} failed")]
    private partial void LogFailed(string method, string requestId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP {Method} request_id={RequestId} failed after the response started; the connection is cut")]
    private partial void LogFailedAfterStart(string method, string requestId, Exception exception);
}

/// <summary>Settings the HTTP proxy applies to every request (from <c>http_options</c> and <c>logging_config</c>).</summary>
/// <param name="RootPath"><c>root_path</c>: the path every route sits under.</param>
/// <param name="RequestTimeout"><c>request_timeout_s</c>: 408 after it.</param>
/// <param name="MaxRequestBodySize">Largest request body accepted (413 beyond).</param>
/// <param name="RequestBodyMemoryLimit">Bytes of request bodies held at once, over all requests.</param>
/// <param name="EnableAccessLog">One log line per request with its request id and status.</param>
internal sealed record HttpProxyOptions(string RootPath, TimeSpan? RequestTimeout, long MaxRequestBodySize, long RequestBodyMemoryLimit, bool EnableAccessLog = true)
{
    /// <summary>The options a config gives (<c>http_options</c>, <c>logging_config</c>).</summary>
    public static HttpProxyOptions From(ServeConfig config) => new(
        config.HttpOptions.RootPath,
        Timeouts.FromSeconds(config.HttpOptions.RequestTimeoutS),
        config.HttpOptions.MaxRequestBodySize,
        config.HttpOptions.EffectiveRequestBodyMemoryLimit,
        config.LoggingConfig.EnableAccessLog);
}
