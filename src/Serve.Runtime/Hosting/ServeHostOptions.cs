namespace Serve.Hosting;

/// <summary>How a <see cref="ServeHost"/> runs beyond what the config file says.</summary>
public sealed record ServeHostOptions
{
    /// <summary>Ray's dashboard port, where <c>serve run</c> serves the REST API unless told otherwise: 8265.</summary>
    public const int DefaultDashboardPort = 8265;

    /// <summary>
    /// The port of the REST API (<c>PUT/GET/DELETE /api/serve/applications/</c>, what <c>serve deploy</c>,
    /// <c>serve status</c> and <c>serve shutdown</c> call): null (the default) serves no REST API, 0 lets the
    /// operating system choose (read <see cref="ServeHost.DashboardPort"/>).
    /// </summary>
    public int? DashboardPort { get; init; }

    /// <summary>
    /// The address the REST API listens on; null (the default) means <see cref="DefaultDashboardHost"/>, as
    /// Ray's dashboard does, whatever <c>http_options.host</c> is: the API can replace every application and
    /// has no authentication, so it is reachable from elsewhere only when asked for.
    /// </summary>
    public string? DashboardHost { get; init; }

    /// <summary>The REST API's address unless told otherwise: the loopback address.</summary>
    public const string DefaultDashboardHost = "127.0.0.1";

    /// <summary>
    /// When true, a REST API port that cannot be bound (taken by another process) is logged as a warning
    /// and the host runs without the API; when false (the default), starting fails.
    /// </summary>
    public bool DashboardOptional { get; init; }

    /// <summary>
    /// Registers the application's own services, which deployment constructors may take (a <c>[FromServices]</c>
    /// parameter, or <c>ILogger&lt;T&gt;</c>, <c>IOptions&lt;T&gt;</c> and the like). Runs before Serve's own
    /// registrations; the host already has logging, options, configuration, <see cref="TimeProvider"/> and
    /// <c>IHttpClientFactory</c>.
    /// </summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? ConfigureServices { get; init; }
}
