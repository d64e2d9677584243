using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Control;

namespace Serve.Dashboard;

/// <summary>
/// Ray Serve's REST API (the dashboard's <c>/api/serve/applications/</c>): <c>PUT</c> applies a whole
/// config (JSON or YAML: the YAML loader reads JSON too) and answers 200, or 400 with the problems when
/// nothing was changed; <c>GET</c> answers the status as Ray's <c>ServeInstanceDetails</c>; <c>DELETE</c>
/// removes every application. Anything else is 404 or 405 with a message.
/// </summary>
/// <remarks>
/// Applies run one at a time. A PUT or DELETE whose client leaves while it waits for an earlier apply is dropped, not
/// applied later; one whose client leaves while it runs is finished (half an apply would be worse). A PUT body is at
/// most <see cref="ServeConfigLoader.MaxConfigSize"/> bytes (413 beyond).
/// </remarks>
internal sealed partial class DashboardApi
{
    /// <summary>Ray's path; the same without the trailing slash is accepted too.</summary>
    public const string ApplicationsPath = "/api/serve/applications/";

    /// <summary>The source name of errors in a PUT body.</summary>
    public const string BodySource = "request body";

    private readonly ServeController _controller;
    private readonly Func<(int? Http, int? Grpc)> _ports;
    private readonly CancellationToken _stopping;
    private readonly ILogger _logger;

    /// <param name="controller">The controller configs are applied to.</param>
    /// <param name="ports">The proxies' bound ports, for the status.</param>
    /// <param name="logger">Where dropped requests are reported.</param>
    /// <param name="stopping">The host's shutdown: an apply that began is not cancelled by its client leaving (half an
    /// apply would be worse than a finished one), only by the host stopping.</param>
    public DashboardApi(ServeController controller, Func<(int? Http, int? Grpc)> ports, ILogger logger, CancellationToken stopping)
    {
        _controller = controller;
        _ports = ports;
        _stopping = stopping;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (path is not (ApplicationsPath or "/api/serve/applications"))
        {
            await WriteTextAsync(context, StatusCodes.Status404NotFound,
                $"Path '{path}' not found. The Serve REST API is {ApplicationsPath} (GET the status, PUT a config, DELETE every application).").ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsGet(request.Method))
        {
            await WriteStatusAsync(context).ConfigureAwait(false);
        }
        else if (HttpMethods.IsPut(request.Method))
        {
            await PutAsync(context).ConfigureAwait(false);
        }
        else if (HttpMethods.IsDelete(request.Method))
        {
            await DeleteAsync(context).ConfigureAwait(false);
        }
        else
        {
            context.Response.Headers.Allow = "GET, PUT, DELETE";
            await WriteTextAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"Method {request.Method} is not allowed on {ApplicationsPath}; use GET, PUT or DELETE.").ConfigureAwait(false);
        }
    }

    private async Task WriteStatusAsync(HttpContext context)
    {
        var (http, grpc) = _ports();
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        ServeDetailsJson.Write(writer, _controller.GetStatus(), http, grpc);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private async Task PutAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is { } length && length > ServeConfigLoader.MaxConfigSize)
        {
            // The body is left unread and Kestrel closes the connection after the answer: say so.
            context.Response.Headers.Connection = "close";
            await WriteTextAsync(context, StatusCodes.Status413PayloadTooLarge, BodySource + ": " + ServeConfigLoader.TooLarge(length)).ConfigureAwait(false);
            return;
        }
        string body;
        try
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            // A body of unknown length past Kestrel's limit (set to the config limit), or one sent too slowly.
            context.Response.Headers.Connection = "close";
            await WriteTextAsync(context, ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"{BodySource}: a config is at most {ServeConfigLoader.MaxConfigSize:N0} bytes."
                : $"{BodySource}: {ex.Message}").ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        IReadOnlyList<string> ignored;
        try
        {
            var config = ServeConfigLoader.Load(body, BodySource);
            ignored = await _controller.ApplyAsync(config, _stopping, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            LogDropped(request.Method);
            return;
        }
        catch (ServeConfigException ex)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, ex.Message).ConfigureAwait(false);
            return;
        }
        catch (InvalidOperationException ex)
        {
            // Shutting down.
            await WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, ex.Message).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            await WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "Serve is shutting down; the config was not fully applied.").ConfigureAwait(false);
            return;
        }
        if (ignored.Count > 0)
        {
            // Applied, with instance options that need a restart left as they run: the body says which.
            await WriteTextAsync(context, StatusCodes.Status200OK, string.Join('\n', ignored)).ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task DeleteAsync(HttpContext context)
    {
        try
        {
            await _controller.DeleteAllAsync(_stopping, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            LogDropped(context.Request.Method);
            return;
        }
        catch (Exception ex) when (ex is InvalidOperationException || (ex is OperationCanceledException && _stopping.IsCancellationRequested))
        {
            await WriteTextAsync(context, StatusCodes.Status503ServiceUnavailable, "Serve is shutting down.").ConfigureAwait(false);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static Task WriteTextAsync(HttpContext context, int status, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes, context.RequestAborted).AsTask();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "REST API: a {Method} was dropped, not applied: its client left while it waited for the apply in progress.")]
    private partial void LogDropped(string method);
}
