using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Serve.Dispatch;
using Serve.Http;
using Serve.Routing;

namespace Serve.Proxy.Http;

/// <summary>An HTTP request through the proxy, as generated route invokers see it.</summary>
internal sealed class ProxyHttpCall : HttpServerCall, IReplicaCall
{
    private static readonly byte[] s_sseData = "data: "u8.ToArray();
    private static readonly byte[] s_sseEnd = "\n\n"u8.ToArray();
    private static readonly byte[] s_newLine = "\n"u8.ToArray();

    private readonly HttpContext _context;
    private readonly Dispatch.HttpRouteDefinition _route;
    private readonly RequestBodyReader _bodies;
    private readonly string _basePath;
    private readonly string _subPath;
    private readonly string _queryString;
    private readonly RouteValues _routeValues;
    private readonly MemoryBudget _streamBudget;
    private StreamWriteBehind? _stream;
    private RequestBodyReader.RequestBody _body;
    private HttpRequestData? _request;
    private CancellationToken _cancellationToken;

    /// <summary>
    /// A request for <paramref name="route"/>, whose path is <paramref name="basePath"/> (the root path and the
    /// application's route prefix) then <paramref name="subPath"/>; its body is read by <see cref="PrepareAsync"/>.
    /// </summary>
    public ProxyHttpCall(HttpContext context, Dispatch.HttpRouteDefinition route, RequestBodyReader bodies, string basePath, string subPath, string queryString,
        RouteValues routeValues, ServeRequestContext requestContext, MemoryBudget streamBudget)
    {
        _context = context;
        _route = route;
        _bodies = bodies;
        _basePath = basePath;
        _subPath = subPath;
        _queryString = queryString;
        _streamBudget = streamBudget;
        _routeValues = routeValues;
        RequestContext = requestContext;
    }

    public override ServeRequestContext RequestContext { get; }

    public override CancellationToken CancellationToken => _cancellationToken;

    public override HttpRequestData Request => _request ?? throw new InvalidOperationException("The request body has not been read yet.");

    /// <inheritdoc />
    public void SetCancellationToken(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    /// <inheritdoc />
    public async ValueTask PrepareAsync()
    {
        var request = _context.Request;
        _body = await _bodies.ReadAsync(request, _cancellationToken).ConfigureAwait(false);
        _request = new HttpRequestData(
            request.Method,
            _basePath,
            _subPath,
            _queryString,
            request.QueryString.HasValue ? new HttpValues(Entries(request.Query, request.Query.Count), ignoreCase: false) : HttpValues.Empty,
            new HttpValues(Entries(request.Headers, request.Headers.Count), ignoreCase: true),
            request.ContentType,
            _body.Memory);
    }

    /// <inheritdoc />
    public ValueTask InvokeAsync(object instance) => _route.Invoker(instance, this);

    /// <inheritdoc />
    public Task AnswerDeadlineAsync(TimeSpan timeout) => HttpProxy.AnswerTimeoutAsync(_context, this, timeout);

    /// <inheritdoc />
    public Task AnswerUnavailableAsync(string message) => HttpProxy.AnswerUnavailableAsync(_context, this, message);

    /// <inheritdoc />
    public void Release() => _bodies.Release(_body);

    /// <summary>
    /// One entry per value, in order, in a list sized for one value per key (the usual case): the LINQ chain
    /// this replaces allocated an enumerator per key and copied the result once more on every request.
    /// </summary>
    private static List<KeyValuePair<string, string>> Entries(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> source, int keys)
    {
        var entries = new List<KeyValuePair<string, string>>(keys);
        foreach (var (key, values) in source)
        {
            foreach (var value in values)
            {
                entries.Add(new(key, value ?? ""));
            }
        }
        return entries;
    }

    /// <summary>True once a streamed write found the client gone, which Kestrel may report before <c>RequestAborted</c> fires.</summary>
    public bool ClientGone => _stream?.ClientGone == true;

    /// <summary>
    /// Waits until the items kept for a lagging client reached its connection: the proxy calls it once the method
    /// returned and gave its replica slot back.
    /// </summary>
    public Task DrainResponsesAsync() => _stream?.DrainAsync() ?? Task.CompletedTask;

    /// <summary>True when the response was streamed (so <see cref="DrainResponsesAsync"/> may have something to wait for).</summary>
    public bool StreamedResponses => _stream is not null;

    /// <summary>Stops a stream the proxy is ending (its deadline passed); true when one was under way.</summary>
    public bool AbandonStream()
    {
        if (_stream is not { } stream)
        {
            return false;
        }
        stream.Abandon();
        return true;
    }

    /// <summary>True once the response started: errors can no longer change the status.</summary>
    public bool ResponseStarted => _context.Response.HasStarted;

    public override string? GetRouteValue(string name) => _routeValues.Get(name);

    public override async ValueTask WriteResultAsync(HttpResult result)
    {
        var response = _context.Response;
        foreach (var (name, value) in result.Headers)
        {
            // CR or LF in a header would split the response: refuse rather than let it through.
            if (name.AsSpan().IndexOfAny('\r', '\n') >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw new InvalidOperationException($"Response header '{name.ReplaceLineEndings(" ")}' contains a line break.");
            }
            response.Headers.Append(name, value);
        }
        response.StatusCode = result.StatusCode;
        if (result.ContentType is not null)
        {
            response.ContentType = result.ContentType;
        }
        response.ContentLength = result.Body.Length;
        if (!result.Body.IsEmpty && !HttpMethods.IsHead(Request.Method))
        {
            await response.Body.WriteAsync(result.Body, _cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode)
    {
        var response = _context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, value, typeInfo, _cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask WriteStreamAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T>? typeInfo)
    {
        var response = _context.Response;
        var sse = AcceptsEventStream(_context.Request.Headers.Accept);
        response.ContentType = sse ? "text/event-stream" : typeInfo is null ? "text/plain; charset=utf-8" : "application/x-ndjson";
        if (sse)
        {
            response.Headers.CacheControl = "no-cache";
        }
        await response.StartAsync(_cancellationToken).ConfigureAwait(false);
        // Each item is sent as it is produced, unless the client lags (see StreamWriteBehind).
        // Its flushes end only with the client; request_timeout_s abandons the stream and cuts the connection.
        var stream = _stream = new StreamWriteBehind(response.BodyWriter, _streamBudget, _context.RequestAborted);
        await foreach (var item in items.WithCancellation(_cancellationToken).ConfigureAwait(false))
        {
            var writer = stream.BeginMessage();
            if (sse)
            {
                writer.Write(s_sseData);
            }
            if (typeInfo is null)
            {
                WriteText(writer, item?.ToString() ?? "", sse);
            }
            else
            {
                using var json = new Utf8JsonWriter(writer);
                JsonSerializer.Serialize(json, item, typeInfo);
            }
            writer.Write(sse ? s_sseEnd : s_newLine);
            // A client found gone there is the stream's ClientGone.
            await stream.EndMessageAsync().ConfigureAwait(false);
        }
    }

    private static void WriteText(IBufferWriter<byte> writer, string text, bool sse)
    {
        // An event's data must not contain a bare line break: each line gets its own "data:" field.
        if (sse && text.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            text = text.ReplaceLineEndings("\ndata: ");
        }
        var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        writer.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static bool AcceptsEventStream(Microsoft.Extensions.Primitives.StringValues accept)
    {
        foreach (var value in accept)
        {
            if (value is not null && value.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
