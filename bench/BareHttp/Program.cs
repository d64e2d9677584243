// The HTTP baseline: a minimal API on CreateSlimBuilder, Kestrel HTTP/1.1 on 127.0.0.1, serving the
// same two routes as the Serve HTTP proxy does for bench/NoopServe (at route_prefix /bench):
//   GET  /bench/noop  -> "ok" (text/plain)
//   POST /bench/echo  -> the request body (application/octet-stream), buffered whole as Serve does
// No routing prefixes, replicas, request ids or logging.  Usage: BareHttp [port]   (default 20081)
using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

var port = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20081;
// As Serve's hosts: no reload-on-change of appsettings files, which would watch every directory under the working one.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Limits.MaxRequestBodySize = 30_000_000;   // Serve's default max_request_body_size
    k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http1);
});
var app = builder.Build();
app.MapGet("/bench/noop", () => "ok");
app.MapPost("/bench/echo", async (HttpRequest request) =>
{
    var reader = request.BodyReader;
    while (true)
    {
        var result = await reader.ReadAsync(request.HttpContext.RequestAborted);
        if (result.IsCompleted)
        {
            var body = result.Buffer.ToArray();
            reader.AdvanceTo(result.Buffer.End);
            return Results.Bytes(body, "application/octet-stream");
        }
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
    }
});
await app.RunAsync();
