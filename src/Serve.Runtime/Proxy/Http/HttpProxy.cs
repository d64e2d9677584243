using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Serve.Control;

namespace Serve.Proxy.Http;

/// <summary>
/// The HTTP proxy. Serves Ray Serve's <c>/-/healthz</c> and <c>/-/routes</c>, and matches the longest
/// <c>route_prefix</c> (with Ray's boundary rule) for application routes. HTTP ingress deployments
/// come with the HTTP proxy issue; until then a matched application answers 404 saying so.
/// </summary>
internal sealed class HttpProxy
{
    private readonly ServeController _controller;

    public HttpProxy(ServeController controller) => _controller = controller;

    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var response = context.Response;
        if (path == "/-/healthz")
        {
            if (_controller.IsDraining)
            {
                response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return response.WriteAsync("This node is being drained.", context.RequestAborted);
            }
            return response.WriteAsync("success", context.RequestAborted);
        }
        if (path == "/-/routes")
        {
            response.ContentType = "application/json";
            return response.WriteAsync(RoutesJson(_controller.Routes), context.RequestAborted);
        }

        response.StatusCode = StatusCodes.Status404NotFound;
        var app = MatchRoute(_controller.Routes, path);
        if (app is not null)
        {
            return response.WriteAsync($"Application '{app.Name}' at route prefix '{app.RoutePrefix}' has no HTTP ingress; call it over gRPC.", context.RequestAborted);
        }
        var host = context.Request.Host.HasValue ? context.Request.Host.Value : "localhost";
        return response.WriteAsync($"Path '{path}' not found. Ping http://{host}/-/routes for available routes.", context.RequestAborted);
    }

    /// <summary>
    /// The application whose prefix is the longest match for <paramref name="path"/>: <c>/route</c>
    /// matches <c>/route</c> and <c>/route/x</c> but not <c>/routesuffix</c>.
    /// </summary>
    internal static ApplicationState? MatchRoute(RouteTable routes, string path)
    {
        ApplicationState? best = null;
        foreach (var app in routes.Applications.Values)
        {
            var prefix = app.RoutePrefix;
            if (prefix is null || (best is not null && prefix.Length <= best.RoutePrefix!.Length))
            {
                continue;
            }
            var matches = path.StartsWith(prefix, StringComparison.Ordinal)
                && (path.Length == prefix.Length || prefix.EndsWith('/') || path[prefix.Length] == '/');
            if (matches)
            {
                best = app;
            }
        }
        return best;
    }

    private static string RoutesJson(RouteTable routes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
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
}
