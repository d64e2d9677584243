using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Dispatch;
using Serve.Replicas;

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
                LogApplicationDeployed(appConfig.Name, appConfig.ImportPath, app.Ingress.Name, app.Ingress.NumReplicas, app.GrpcMethods.Count);
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

        // The ingress is the only deployment until composition lands; config entries must name it.
        var options = application!.Deployment.Options.Merge(application.Options);
        var name = application.Name;
        foreach (var entry in appConfig.Deployments)
        {
            if (!string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                throw new DeployException($"Deployment '{entry.Name}' in the config is not part of application '{appConfig.Name}'. Its deployments: {name}.");
            }
            options = options.Merge(entry.ToDeploymentOptions());
        }

        var deployment = new DeploymentState(
            appConfig.Name,
            application.Deployment,
            name,
            options.NumReplicas ?? DeploymentOptions.DefaultNumReplicas,
            options.MaxOngoingRequests ?? DeploymentOptions.DefaultMaxOngoingRequests,
            options.MaxQueuedRequests ?? DeploymentOptions.DefaultMaxQueuedRequests);

        var replicas = new List<Replica>(deployment.NumReplicas);
        for (var i = 0; i < deployment.NumReplicas; i++)
        {
            object instance;
            try
            {
                instance = application.CreateInstance();
            }
            catch (Exception ex)
            {
                throw new DeployException($"Replica {i} of deployment '{name}' failed to start: {ex}");
            }
            replicas.Add(new Replica($"{appConfig.Name}#{name}#{Guid.NewGuid().ToString("N")[..6]}", name, instance, deployment.MaxOngoingRequests,
                application.Deployment.MultiplexedModels?.Invoke(instance)));
        }
        deployment.Router.SetReplicas(replicas);
        deployment.Status = DeploymentStatus.Healthy;

        // An empty grpc_servicer_functions list means no gRPC methods are exposed, as in Ray Serve.
        var methods = application.Deployment.GrpcMethods
            .Where(m => servicers.Any(s => s.Matches(m.ServiceName)))
            .ToDictionary(m => m.Path, StringComparer.Ordinal);

        return new ApplicationState(appConfig.Name, appConfig.RoutePrefix, deployment, System.Collections.Frozen.FrozenDictionary.ToFrozenDictionary(methods, StringComparer.Ordinal))
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

    /// <summary>Stops every replica, letting running requests finish within <paramref name="drainTimeout"/>.</summary>
    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        _draining = true;
        var apps = Volatile.Read(ref _applications);
        var stops = new List<Task>();
        foreach (var app in apps)
        {
            foreach (var replica in app.Ingress.Router.Replicas)
            {
                stops.Add(replica.StopAsync(drainTimeout, cancellationToken).AsTask());
            }
        }
        await Task.WhenAll(stops).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployed app '{App}' from '{ImportPath}': deployment '{Deployment}' with {Replicas} replica(s), {GrpcMethods} gRPC method(s).")]
    private partial void LogApplicationDeployed(string app, string importPath, string deployment, int replicas, int grpcMethods);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to deploy app '{App}': {Reason}")]
    private partial void LogApplicationFailed(string app, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: health checks now report unavailable; running requests are allowed to finish.")]
    private partial void LogDraining();

    private sealed class DeployException(string message) : Exception(message);
}
