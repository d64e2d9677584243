using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Serve.Http;

/// <summary>A complete HTTP response a deployment method returns when it needs its own status, headers or body.</summary>
public sealed class HttpResult
{
    /// <summary>Creates a response.</summary>
    public HttpResult(int statusCode, ReadOnlyMemory<byte> body, string? contentType = null, IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        StatusCode = statusCode;
        Body = body;
        ContentType = contentType;
        Headers = headers ?? [];
    }

    /// <summary>The status code.</summary>
    public int StatusCode { get; }

    /// <summary>The body.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The Content-Type; null for none.</summary>
    public string? ContentType { get; }

    /// <summary>Extra response headers.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>A <c>text/plain; charset=utf-8</c> response.</summary>
    public static HttpResult Text(string text, int statusCode = 200)
        => new(statusCode, Encoding.UTF8.GetBytes(text), "text/plain; charset=utf-8");

    /// <summary>An <c>application/octet-stream</c> (or <paramref name="contentType"/>) response.</summary>
    public static HttpResult Bytes(ReadOnlyMemory<byte> bytes, string contentType = "application/octet-stream", int statusCode = 200)
        => new(statusCode, bytes, contentType);

    /// <summary>An <c>application/json</c> response serialized with source-generated metadata.</summary>
    public static HttpResult Json<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode = 200)
        => new(statusCode, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), "application/json");

    /// <summary>A response with only a status code (and an optional plain-text body).</summary>
    public static HttpResult Status(int statusCode, string? text = null)
        => text is null ? new(statusCode, ReadOnlyMemory<byte>.Empty) : Text(text, statusCode);
}

/// <summary>
/// Thrown by a deployment method (or generated binding code) to answer with an HTTP status and a
/// message; the proxy writes FastAPI's error shape <c>{"detail": "..."}</c>.
/// </summary>
public class HttpException : Exception
{
    /// <summary>Creates an exception answering <paramref name="statusCode"/> with <paramref name="detail"/>.</summary>
    public HttpException(int statusCode, string detail) : base(detail)
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The status code.</summary>
    public int StatusCode { get; }

    /// <summary>The message sent as <c>detail</c>.</summary>
    public string Detail { get; }
}

/// <summary>One invalid request field, as FastAPI reports it in a 422 body.</summary>
/// <param name="Location">Where the value came from and its name, e.g. <c>["query", "input_text"]</c>.</param>
/// <param name="Message">What is wrong, e.g. "String should have at least 2 characters".</param>
/// <param name="Type">A stable error type, e.g. <c>string_too_short</c>, <c>missing</c>, <c>int_parsing</c>.</param>
/// <param name="Input">The value received, when there was one.</param>
public sealed record HttpValidationError(IReadOnlyList<string> Location, string Message, string Type, string? Input);

/// <summary>The request's parameters failed validation: the proxy answers 422 with every error.</summary>
public sealed class HttpValidationException(IReadOnlyList<HttpValidationError> errors)
    : HttpException(422, "Request validation failed.")
{
    /// <summary>Every invalid field.</summary>
    public IReadOnlyList<HttpValidationError> Errors { get; } = errors;
}
