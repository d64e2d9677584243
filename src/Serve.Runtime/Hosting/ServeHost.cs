using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Control;
using Serve.Dashboard;
using Serve.Proxy.Grpc;
using Serve.Proxy.Http;

namespace Serve.Hosting;

/// <summary>
/// Serve in one process: deploys a config's applications and runs the gRPC proxy (HTTP/2 without
/// TLS, its own port) and the HTTP proxy on Kestrel, and optionally Ray's REST API on a port of its
/// own. What <c>serve run</c> starts.
/// </summary>
public sealed partial class ServeHost : IAsyncDisposable
{
    /// <summary>
    /// The options of the proxies' web host. Serve is configured by its YAML, not appsettings.json,
    /// so the default reload-on-change is off: it makes the host watch the working directory and every directory
    /// under it (one inotify watch each), which cost ~20 ms of a Native AOT cold start in a source checkout and can
    /// exhaust the user's inotify limit when started from a large tree. The files are still read once.
    /// </summary>
    private static WebApplicationOptions HostBuilderOptions => new() { Args = ["--hostBuilder:reloadConfigOnChange=false"] };

    /// <summary>How long shutdown waits for running requests (Ray's graceful_shutdown_timeout_s default).</summary>
    public static readonly TimeSpan DefaultGracefulShutdownTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The host's shutdown timeout for <paramref name="config"/>: twice the longest <c>graceful_shutdown_timeout_s</c> of
    /// its deployments (the server's drain, then the replicas'), at least twice Ray's default; capped at a day.
    /// </summary>
    internal static TimeSpan ShutdownTimeoutFor(ServeConfig config)
    {
        var longest = config.Applications.SelectMany(a => a.Deployments).Select(d => d.GracefulShutdownTimeoutS ?? 0)
            .Append(DeploymentConfig.DefaultGracefulShutdownTimeoutS).Max();
        return TimeSpan.FromSeconds(Math.Min(2 * longest, TimeSpan.FromDays(1).TotalSeconds));
    }

    private readonly WebApplication _app;
    private readonly ServeController _controller;
    private readonly ServeConfig _config;
    private readonly ListenOptions? _grpcListen;
    private readonly ListenOptions? _httpListen;
    private readonly ILogger _logger;
    private readonly ServeHostOptions _options;
    private DashboardServer? _dashboard;
    private bool _stopped;

    private ServeHost(WebApplication app, ServeConfig config, ServeHostOptions options, ListenOptions? grpcListen, ListenOptions? httpListen)
    {
        _app = app;
        _config = config;
        _options = options;
        _grpcListen = grpcListen;
        _httpListen = httpListen;
        _controller = app.Services.GetRequiredService<ServeController>();
        _logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Serve");
    }

    /// <summary>The port the gRPC proxy listens on (the bound one when the config asked for port 0), or null when gRPC is off.</summary>
    public int? GrpcPort => (_grpcListen?.EndPoint as IPEndPoint)?.Port;

    /// <summary>
    /// The port the HTTP proxy listens on (the bound one when the config asked for port 0), or null when the config's
    /// <c>proxy_location</c> is <c>Disabled</c>.
    /// </summary>
    public int? HttpPort => (_httpListen?.EndPoint as IPEndPoint)?.Port;

    /// <summary>
    /// The port the REST API listens on (the bound one when <see cref="ServeHostOptions.DashboardPort"/> is 0),
    /// or null when it is off or could not be bound. Known once <see cref="StartAsync"/> returned.
    /// </summary>
    public int? DashboardPort => _dashboard?.Port;

    /// <summary>The application's services (logging, lifetime).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Builds a host for <paramref name="config"/>. The gRPC proxy starts only when
    /// <c>grpc_options.grpc_servicer_functions</c> is not empty, as in Ray Serve.
    /// </summary>
    /// <param name="config">The validated config.</param>
    /// <param name="configureLogging">Adjusts logging (tests route it elsewhere).</param>
    /// <param name="options">The REST API's port and address; null serves no REST API.</param>
    public static ServeHost Create(ServeConfig config, Action<ILoggingBuilder>? configureLogging = null, ServeHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new ServeHostOptions();
        var builder = WebApplication.CreateSlimBuilder(HostBuilderOptions);

        builder.Logging.ClearProviders();
        // Created by the container, which disposes them (flushing queued lines) when the host is disposed.
        ServeLogging.AddServeHostProviders(builder.Services, config.LoggingConfig);
        builder.Logging.SetMinimumLevel(ToLogLevel(config.LoggingConfig.LogLevel));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Its per-request Activity and log scope cost ~4% of a no-op call and log nothing at Warning.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        // Its errors are start or stop failures, which reach StartAsync's or StopAsync's caller as exceptions and
        // are reported there (`serve run`: one line); its log repeated them with the whole stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        configureLogging?.Invoke(builder.Logging);

        // Long enough for the longest graceful_shutdown_timeout_s the config gives a deployment: requests in the server
        // first, then the replicas' own drains (which the host's token would otherwise cut short).
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeoutFor(config));
        // What a deployment constructor may take besides the host's defaults: IHttpClientFactory, and the program's own.
        builder.Services.AddHttpClient();
        options.ConfigureServices?.Invoke(builder.Services);
        // The same registrations as an application hosting Serve itself; this host only adds its own ports.
        builder.Services.AddServe(config);

        ListenOptions? grpcListen = null;
        ListenOptions? httpListen = null;
        // proxy_location: Disabled runs no proxy (the REST API and handles still work): no server at all, since Kestrel
        // without endpoints would listen on its default port.
        var proxies = config.ProxyLocation != ProxyLocation.Disabled;
        if (!proxies)
        {
            builder.Services.AddSingleton<IServer, NoProxyServer>();
        }
        var grpcEnabled = proxies && config.GrpcOptions.GrpcServicerFunctions.Count > 0;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Every gRPC response carries a request_id trailer seen once: HPACK would index each one and
            // evict the entries worth reusing (content-type, grpc-status), so the dynamic table costs CPU per
            // call (measured ~10% of a no-op call) and saves little. Static-table and literal encoding stays.
            kestrel.AllowResponseHeaderCompression = false;
            var address = ResolveAddress(config.HttpOptions.Host);
            if (grpcEnabled)
            {
                kestrel.Listen(address, config.GrpcOptions.Port, listen =>
                {
                    // h2c needs HTTP/2 only: Http1AndHttp2 without TLS silently serves HTTP/1.1.
                    listen.Protocols = HttpProtocols.Http2;
                    listen.Use(next => connection => Http1Rejection.HandleAsync(connection, next));
                    grpcListen = listen;
                });
            }
            if (proxies)
            {
                kestrel.Listen(address, config.HttpOptions.Port, listen =>
                {
                    // Without TLS, Kestrel cannot offer HTTP/2 next to HTTP/1.1 (no h2c upgrade); say so plainly.
                    listen.Protocols = HttpProtocols.Http1;
                    httpListen = listen;
                });
            }
            kestrel.Limits.KeepAliveTimeout = Timeouts.FromSeconds(config.HttpOptions.KeepAliveTimeoutS);
            // Bodies of unknown length stop here; the HTTP proxy checks declared lengths itself (413).
            kestrel.Limits.MaxRequestBodySize = config.HttpOptions.MaxRequestBodySize;
            // Slow clients (slowloris): headers must arrive within 30 s and bodies at 240 B/s after a
            // 5 s grace, else Kestrel ends the request (408). The gRPC proxy lifts the body rate for
            // streaming calls, whose requests may idle legitimately.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        });

        var app = builder.Build();
        var grpcProxy = app.Services.GetRequiredService<GrpcProxy>();
        var httpProxy = app.Services.GetRequiredService<HttpProxy>();
        // The gRPC endpoint speaks HTTP/2 only and the HTTP endpoint HTTP/1.x only, so the protocol says which
        // endpoint a request came in on: a reference comparison, where a per-connection marker cost a feature lookup.
        app.Run(context => HttpProtocol.IsHttp2(context.Request.Protocol)
            ? grpcProxy.HandleAsync(context)
            : httpProxy.HandleAsync(context));
        return new ServeHost(app, config, options, grpcListen, httpListen);
    }

    /// <summary>Deploys the applications, then starts listening (the proxies, then the REST API).</summary>
    /// <exception cref="ServeConfigException">The config names deployments its applications do not have, or gRPC
    /// services no deployment serves; nothing was started.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        try
        {
            // Deploys the applications first (ServeLifecycle), then listens.
            await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            // Kestrel reports a taken port with the address; any other bind failure comes without it.
            throw new IOException($"Could not listen on {_config.HttpOptions.Host} (the proxies' address): {ex.Message}.", ex);
        }
        if (_options.DashboardPort is { } dashboardPort)
        {
            await StartDashboardAsync(dashboardPort, lifetime.ApplicationStopping, cancellationToken).ConfigureAwait(false);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var apps = string.Join(", ", _controller.Routes.ApplicationNames.Select(n => $"'{n}'"));
            LogStarted(
                GrpcPort is { } g ? $"{_config.HttpOptions.Host}:{g}"
                    : HttpPort is null ? "off (proxy_location: Disabled)" : "off (grpc_servicer_functions is empty)",
                HttpPort is { } h ? $"{_config.HttpOptions.Host}:{h}" : "off (proxy_location: Disabled)",
                DashboardPort is { } d ? $"http://{DashboardHost}:{d}" : "off",
                apps.Length == 0 ? "(none)" : apps);
        }
    }

    /// <summary>
    /// Makes the running applications equal to <paramref name="config"/>'s, changing only what differs, as
    /// <c>serve deploy</c> and the REST API's PUT do (see the <c>serve deploy</c> section of the README).
    /// </summary>
    /// <returns>The instance options (<c>http_options</c>, <c>grpc_options</c>, <c>proxy_location</c>,
    /// <c>logging_config</c>) the config would change: they need a restart, so they were ignored, as Ray Serve
    /// ignores them. Empty when there are none.</returns>
    /// <exception cref="ServeConfigException">The config is invalid or names deployments its applications do
    /// not have; nothing changed.</exception>
    public Task<IReadOnlyList<string>> ApplyAsync(ServeConfig config, CancellationToken cancellationToken = default) => _controller.ApplyAsync(config, cancellationToken);

    private string DashboardHost => _options.DashboardHost ?? ServeHostOptions.DefaultDashboardHost;

    /// <summary>Starts the REST API on its own Kestrel server (see <see cref="DashboardServer"/>).</summary>
    private async Task StartDashboardAsync(int port, CancellationToken stopping, CancellationToken cancellationToken)
    {
        var api = new DashboardApi(_controller, () => (HttpPort, GrpcPort), LoggerFor<DashboardApi>(_app.Services), stopping);
        try
        {
            _dashboard = await DashboardServer.StartAsync(
                ResolveAddress(DashboardHost), port, api.HandleAsync, _app.Services,
                _app.Services.GetRequiredService<ILoggerFactory>(), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            // Not a taken port (Kestrel reports that as an IOException): an address this machine does not have, ...
            throw new IOException($"Could not listen on {DashboardHost}:{port} (the REST API's address): {ex.Message}.", ex);
        }
        catch (IOException ex) when (_options.DashboardOptional)
        {
            LogDashboardUnavailable(DashboardHost, port, ex.Message);
        }
    }

    /// <summary>
    /// Runs until Ctrl+C or SIGTERM, then shuts down gracefully: health checks fail, running calls
    /// finish, replicas are disposed.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        await _app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        return _controller.FailedApplications.Count == 0 ? 0 : 1;
    }

    /// <summary>Stops listening after running requests finish, then stops the replicas.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        _controller.BeginDrain();
        if (_dashboard is { } dashboard)
        {
            // No config is applied while the proxies drain.
            await dashboard.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        // The server drains its running requests, then ServeLifecycle stops the replicas.
        await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        LogStopped();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_dashboard is { } dashboard)
        {
            await dashboard.DisposeAsync().ConfigureAwait(false);
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    internal ServeController Controller => _controller;

    private static Logger<T> LoggerFor<T>(IServiceProvider services) => ServeServiceCollectionExtensions.LoggerFor<T>(services);

    private static IPAddress ResolveAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "0.0.0.0" or "" => IPAddress.Any,
        "::" => IPAddress.IPv6Any,
        _ => IPAddress.TryParse(host, out var ip) ? ip : throw new ServeConfigException($"http_options.host: '{host}' is not an IP address (use 127.0.0.1, 0.0.0.0 or localhost)."),
    };

    private static LogLevel ToLogLevel(string level) => level.ToUpperInvariant() switch
    {
        "DEBUG" => LogLevel.Debug,
        "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" => LogLevel.Critical,
        _ => LogLevel.Information,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Serve is running. gRPC proxy: {Grpc}; HTTP proxy: {Http}; REST API: {Dashboard}; applications: {Apps}.")]
    private partial void LogStarted(string grpc, string http, string dashboard, string apps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The REST API (for deploy, status, shutdown) could not listen on {Host}:{Port}: {Reason} Serve runs without it; pass --dashboard-port to choose another port.")]
    private partial void LogDashboardUnavailable(string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serve shut down cleanly.")]
    private partial void LogStopped();
}

/// <summary>
/// The server of a host whose config says <c>proxy_location: Disabled</c>: it listens nowhere, so that the host runs its
/// controller, replicas and REST API without a proxy port.
/// </summary>
internal sealed class NoProxyServer : IServer
{
    /// <inheritdoc />
    public IFeatureCollection Features { get; } = new FeatureCollection();

    /// <inheritdoc />
    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
        => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
