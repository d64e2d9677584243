using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serve.Config;
using Serve.Control;

namespace Serve.Dashboard;

/// <summary>
/// Ray Serve's REST API (the dashboard's <c>/api/serve/applications/</c>): <c>PUT</c> applies a whole
/// config (JSON or YAML: the YAML loader reads JSON too) and answers 200, or 400 with the problems when
/// nothing was changed; <c>GET</c> answers the status as Ray's <c>ServeInstanceDetails</c>; <c>DELETE</c>
/// removes every application. Anything else is 404 or 405 with a message.
/// </summary>
internal sealed class DashboardApi
{
    /// <summary>Ray's path; the same without the trailing slash is accepted too.</summary>
    public const string ApplicationsPath = "/api/serve/applications/";

    /// <summary>The source name of errors in a PUT body.</summary>
    public const string BodySource = "request body";

    private readonly ServeController _controller;
    private readonly Func<(int? Http, int? Grpc)> _ports;
    private readonly CancellationToken _stopping;

    /// <param name="controller">The controller configs are applied to.</param>
    /// <param name="ports">The proxies' bound ports, for the status.</param>
    /// <param name="stopping">The host's shutdown: an apply is not cancelled by its client leaving (half an
    /// apply would be worse than a finished one), only by the host stopping.</param>
    public DashboardApi(ServeController controller, Func<(int? Http, int? Grpc)> ports, CancellationToken stopping)
    {
        _controller = controller;
        _ports = ports;
        _stopping = stopping;
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
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        }

        IReadOnlyList<string> ignored;
        try
        {
            var config = ServeConfigLoader.Load(body, BodySource);
            ignored = await _controller.ApplyAsync(config, _stopping).ConfigureAwait(false);
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
            await _controller.DeleteAllAsync(_stopping).ConfigureAwait(false);
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
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
