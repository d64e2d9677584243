using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Serve.Http;

namespace Serve.Dispatch;

/// <summary>Invokes one HTTP route on a replica instance: binds parameters, calls, writes the result. Emitted by the generator.</summary>
/// <param name="instance">The replica's deployment instance.</param>
/// <param name="call">The request being served.</param>
public delegate ValueTask HttpRouteInvoker(object instance, HttpServerCall call);

/// <summary>One entry of a deployment's generated HTTP route table.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class HttpRouteDefinition
{
    /// <summary>Creates an entry; called by generated code.</summary>
    /// <param name="httpMethod">GET, POST, …; null for a plain ingress that takes every method.</param>
    /// <param name="template">The route template below the route prefix; null for a plain ingress (every path).</param>
    /// <param name="methodName">The C# method, for logs and OpenAPI operation ids.</param>
    /// <param name="invoker">Binds, calls and writes.</param>
    public HttpRouteDefinition(string? httpMethod, string? template, string methodName, HttpRouteInvoker invoker)
    {
        HttpMethod = httpMethod;
        Template = template;
        MethodName = methodName;
        Invoker = invoker;
    }

    /// <summary>GET, POST, …; null for a plain ingress.</summary>
    public string? HttpMethod { get; }

    /// <summary>The route template; null for a plain ingress.</summary>
    public string? Template { get; }

    /// <summary>The C# method's name.</summary>
    public string MethodName { get; }

    /// <summary>Binds, calls and writes.</summary>
    public HttpRouteInvoker Invoker { get; }
}

/// <summary>
/// One HTTP request as generated dispatch code sees it. The runtime implements it over Kestrel;
/// generated invokers read the request and route values and write one result.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public abstract class HttpServerCall
{
    /// <summary>The request's Serve context (request id, application, multiplexed model id).</summary>
    public abstract ServeRequestContext RequestContext { get; }

    /// <summary>Fires when the client goes away or <c>request_timeout_s</c> passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>The request.</summary>
    public abstract HttpRequestData Request { get; }

    /// <summary>The value a <c>{name}</c> template segment captured (URL-decoded), or null.</summary>
    public abstract string? GetRouteValue(string name);

    /// <summary>Writes a complete response.</summary>
    public abstract ValueTask WriteResultAsync(HttpResult result);

    /// <summary>Writes <paramref name="value"/> as JSON with status <paramref name="statusCode"/>.</summary>
    public abstract ValueTask WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode);

    /// <summary>
    /// Streams items as they are produced, flushing each: Server-Sent Events (<c>data: …</c>) when the
    /// client accepts <c>text/event-stream</c>, otherwise chunked JSON lines (strings as plain text lines).
    /// </summary>
    public abstract ValueTask WriteStreamAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T>? typeInfo);
}

/// <summary>Helpers that generated HTTP binding code calls, so the generated code stays small.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HttpDispatch
{
    /// <summary>Writes a method's return value: text, bytes, a full result, or JSON.</summary>
    public static ValueTask WriteAsync(HttpServerCall call, string? text, int statusCode)
        => call.WriteResultAsync(HttpResult.Text(text ?? "", statusCode));

    /// <summary>Writes bytes as <c>application/octet-stream</c>.</summary>
    public static ValueTask WriteAsync(HttpServerCall call, byte[]? bytes, int statusCode)
        => call.WriteResultAsync(HttpResult.Bytes(bytes ?? [], statusCode: statusCode));

    /// <summary>Writes a full result as returned.</summary>
    public static ValueTask WriteAsync(HttpServerCall call, HttpResult? result, int statusCode)
        => call.WriteResultAsync(result ?? HttpResult.Status(204));

    /// <summary>Parses the JSON body into <typeparamref name="T"/>; malformed JSON is 400 with the position, a missing body 422.</summary>
    public static T ReadJsonBody<T>(HttpServerCall call, JsonTypeInfo<T> typeInfo, string parameterName, bool required)
    {
        var request = call.Request;
        if (request.Body.IsEmpty)
        {
            if (!required)
            {
                return default!;
            }
            throw new HttpValidationException([new HttpValidationError(["body"], "Field required", "missing", null)]);
        }
        if (request.ContentType is { } contentType && !IsJson(contentType))
        {
            throw new HttpException(415, $"Unsupported media type '{contentType}': the body of '{parameterName}' must be application/json.");
        }
        try
        {
            var value = JsonSerializer.Deserialize(request.Body.Span, typeInfo);
            if (value is null && required)
            {
                throw new HttpValidationException([new HttpValidationError(["body"], "Field required", "missing", "null")]);
            }
            return value!;
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}" : "";
            throw new HttpException(400, $"Invalid JSON body{where}: {ex.Message}");
        }
    }

    private static bool IsJson(string contentType)
    {
        var mediaType = contentType.Split(';')[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Formats a value for an error's <c>input</c> field.</summary>
    public static string? Describe(object? value) => value switch
    {
        null => null,
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
