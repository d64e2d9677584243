using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Serve.Dashboard;

/// <summary>
/// The REST API's own Kestrel server (HTTP/1.1), so that a taken port can be skipped without touching the
/// proxies. A bare <see cref="KestrelServer"/> running one request delegate: the API needs no routing, DI or
/// configuration, and a second web host (builder, container, configuration sources, hosting services) cost
/// ~3 ms of a Native AOT cold start while the first requests were being served.
/// </summary>
internal sealed class DashboardServer : IHttpApplication<HttpContext>, IAsyncDisposable
{
    /// <summary>How long stopping waits for running requests (an apply in progress).</summary>
    private static readonly TimeSpan s_shutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly KestrelServer _server;
    private readonly RequestDelegate _handler;
    private readonly ListenOptions _listen;

    private DashboardServer(KestrelServer server, ListenOptions listen, RequestDelegate handler)
    {
        _server = server;
        _listen = listen;
        _handler = handler;
    }

    /// <summary>The bound port (the one picked when 0 was asked for).</summary>
    public int Port => ((IPEndPoint)_listen.EndPoint).Port;

    /// <summary>Binds <paramref name="address"/>:<paramref name="port"/> and serves <paramref name="handler"/>.</summary>
    /// <exception cref="IOException">The port is taken; nothing is left running.</exception>
    public static async Task<DashboardServer> StartAsync(
        IPAddress address, int port, RequestDelegate handler, IServiceProvider services, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = services };
        // A config body of unknown length stops here (413); declared lengths are checked before reading.
        options.Limits.MaxRequestBodySize = Config.ServeConfigLoader.MaxConfigSize;
        ListenOptions listen = null!;
        options.Listen(address, port, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            listen = l;
        });
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), loggerFactory);
        var server = new KestrelServer(Options.Create(options), transport, loggerFactory);
        var dashboard = new DashboardServer(server, listen, handler);
        try
        {
            await server.StartAsync(dashboard, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return dashboard;
    }

    /// <summary>
    /// Stops accepting and lets running requests finish, for at most five seconds or until
    /// <paramref name="cancellationToken"/> fires. Stopping a stopped server returns at once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_shutdownTimeout);
        await _server.StopAsync(timeout.Token).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _server.Dispose();
    }

    HttpContext IHttpApplication<HttpContext>.CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    Task IHttpApplication<HttpContext>.ProcessRequestAsync(HttpContext context) => _handler(context);

    void IHttpApplication<HttpContext>.DisposeContext(HttpContext context, Exception? exception)
    {
    }
}
