using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Dispatch;

namespace Serve.Control;

/// <summary>
/// Deploys the applications of a config in this process: resolves each <c>import_path</c> through the
/// generated registry, applies options (config &gt; code &gt; attribute &gt; defaults), starts the
/// replicas and publishes the route table the proxies read.
/// </summary>
internal sealed partial class ServeController
{
    private readonly ILogger<ServeController> _logger;
    private RouteTable _routes = RouteTable.NotPopulated;
    private List<ApplicationState> _applications = [];
    private volatile bool _draining;

    public ServeController(ILogger<ServeController> logger) => _logger = logger;

    /// <summary>The current route table; replaced as a whole on every change.</summary>
    public RouteTable Routes => Volatile.Read(ref _routes);

    /// <summary>True once shutdown began: health checks fail so load balancers stop sending traffic.</summary>
    public bool IsDraining => _draining;

    /// <summary>Every application the last deploy produced, failed ones included.</summary>
    public IReadOnlyList<ApplicationState> Applications => Volatile.Read(ref _applications);

    /// <summary>Failures of applications that could not be deployed, by application name.</summary>
    public IReadOnlyDictionary<string, string> FailedApplications { get; private set; } = new Dictionary<string, string>();

    /// <summary>
    /// Deploys every application of <paramref name="config"/>. An application that fails is reported
    /// (DEPLOY_FAILED, with the reason) and the others still deploy.
    /// </summary>
    public void Deploy(ServeConfig config)
    {
        var servicers = config.GrpcOptions.GrpcServicerFunctions.Select(GrpcServicerFunction.Parse).ToArray();
        CheckServicerFunctions(servicers);

        var deployed = new List<ApplicationState>();
        var failed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var appConfig in config.Applications)
        {
            try
            {
                var app = DeployApplication(appConfig, servicers);
                deployed.Add(app);
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    LogApplicationDeployed(appConfig.Name, appConfig.ImportPath, app.Deployments.Count, Describe(app.Deployments), app.Ingress.Name, app.GrpcMethods.Count);
                }
            }
            catch (DeployException ex)
            {
                failed[appConfig.Name] = ex.Message;
                LogApplicationFailed(appConfig.Name, ex.Message);
            }
        }
        FailedApplications = failed;
        Volatile.Write(ref _applications, deployed);
        Volatile.Write(ref _routes, new RouteTable(deployed));
    }

    /// <summary>"Leaf=2, Ingress=1": each deployment with its replica count, in dependency order.</summary>
    private static string Describe(IReadOnlyList<DeploymentState> deployments)
    {
        var parts = new string[deployments.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = deployments[i].Name + "=" + deployments[i].NumReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return string.Join(", ", parts);
    }

    private static void CheckServicerFunctions(GrpcServicerFunction[] servicers)
    {
        var known = ServeRegistry.Deployments.Values.SelectMany(d => d.GrpcServices).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        foreach (var servicer in servicers)
        {
            if (!known.Any(servicer.Matches))
            {
                throw new ServeConfigException(
                    $"grpc_options.grpc_servicer_functions: '{servicer.Raw}' names no gRPC service served by a deployment of this host. Known services: {(known.Length == 0 ? "(none)" : string.Join(", ", known))}.");
            }
        }
    }

    private ApplicationState DeployApplication(ApplicationConfig appConfig, GrpcServicerFunction[] servicers)
    {
        var args = new ApplicationArgs(appConfig.Args);
        Application? application;
        string? error;
        try
        {
            if (!ServeRegistry.TryBuild(appConfig.ImportPath, args, out application, out error))
            {
                throw new DeployException(error!);
            }
        }
        catch (Exception ex) when (ex is not DeployException)
        {
            throw new DeployException($"The application builder '{appConfig.ImportPath}' threw: {ex}");
        }

        // Every bound deployment reached from the ingress joins the application; children start first.
        ApplicationGraph graph;
        try
        {
            graph = ApplicationGraph.Build(application!);
        }
        catch (Exception ex) when (ex is not DeployException)
        {
            // Graph arguments (IDeploymentGraphArgument) are user code: their failure fails this app only.
            throw new DeployException($"Reading the deployment graph of '{appConfig.ImportPath}' failed: {ex}");
        }
        foreach (var rename in graph.Renames)
        {
            LogDeploymentRenamed(appConfig.Name, rename.BoundName, rename.Name);
        }
        var deployments = graph.Start(appConfig.Name, appConfig.Deployments);
        var ingress = deployments[^1];

        // An empty grpc_servicer_functions list means no gRPC methods are exposed, as in Ray Serve.
        var methods = ingress.Definition.GrpcMethods
            .Where(m => servicers.Any(s => s.Matches(m.ServiceName)))
            .ToDictionary(m => m.Path, StringComparer.Ordinal);

        return new ApplicationState(appConfig.Name, appConfig.RoutePrefix, ingress, System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(methods, StringComparer.Ordinal), deployments)
        {
            Status = ApplicationStatus.Running,
            LastDeployedTime = DateTimeOffset.UtcNow,
        };
    }

    /// <summary>Starts draining: health checks answer UNAVAILABLE from now on.</summary>
    public void BeginDrain()
    {
        if (!_draining)
        {
            _draining = true;
            LogDraining();
        }
    }

    /// <summary>
    /// Stops every replica, letting running requests finish within <paramref name="drainTimeout"/>.
    /// Applications stop side by side; within one, the ingress stops first and children after their
    /// parents, so that requests still running can call the deployments below them.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        _draining = true;
        var apps = Volatile.Read(ref _applications);
        var stops = new Task[apps.Count];
        for (var i = 0; i < stops.Length; i++)
        {
            stops[i] = ApplicationGraph.StopAsync(apps[i].Deployments, drainTimeout, cancellationToken);
        }
        await Task.WhenAll(stops).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployed app '{App}' from '{ImportPath}': {DeploymentCount} deployment(s), replicas {Deployments}; ingress '{Ingress}' with {GrpcMethods} gRPC method(s).")]
    private partial void LogApplicationDeployed(string app, string importPath, int deploymentCount, string deployments, string ingress, int grpcMethods);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App '{App}': there are multiple deployments with the same name '{BoundName}'. Renaming one to '{Name}'.")]
    private partial void LogDeploymentRenamed(string app, string boundName, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to deploy app '{App}': {Reason}")]
    private partial void LogApplicationFailed(string app, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: health checks now report unavailable; running requests are allowed to finish.")]
    private partial void LogDraining();
}
