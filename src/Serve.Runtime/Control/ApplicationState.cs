using System.Collections.Frozen;
using Serve.Config;
using Serve.Dispatch;
using Serve.Routing;

namespace Serve.Control;

/// <summary>
/// A deployed application: its ingress and the ingress's gRPC methods by path (what the proxies route
/// to), and every deployment of its graph. What the proxies read (name, route prefix, ingress, methods)
/// never changes; a new route prefix makes a new <see cref="ApplicationState"/> over the same deployments.
/// </summary>
internal sealed class ApplicationState
{
    private string? _deployFailure;
    private int _status = (int)ApplicationStatus.Deploying;
    private long _lastDeployedTicks;

    /// <param name="name">The application's name.</param>
    /// <param name="routePrefix">The HTTP route prefix; null when not exposed over HTTP.</param>
    /// <param name="ingress">The deployment the proxies route to.</param>
    /// <param name="grpcMethods">The ingress's exposed RPCs by <c>:path</c>.</param>
    /// <param name="deployments">Every deployment in dependency order (children before parents, the
    /// ingress last); null for an application that is its ingress alone.</param>
    public ApplicationState(string name, string? routePrefix, DeploymentState ingress, FrozenDictionary<string, GrpcMethodDefinition> grpcMethods,
        IReadOnlyList<DeploymentState>? deployments = null)
    {
        Deployments = deployments ?? [ingress];
        HttpRoutes = new HttpRouteTable(ingress.Definition.HttpRoutes);
        Name = name;
        RoutePrefix = routePrefix;
        Ingress = ingress;
        GrpcMethods = grpcMethods;
        var stateOf = new Dictionary<Application, DeploymentState>(Deployments.Count, ReferenceEqualityComparer.Instance);
        foreach (var deployment in Deployments)
        {
            stateOf.TryAdd(deployment.Application, deployment);
        }
        StateOf = stateOf;
        ResolveChild = ApplicationGraph.ChildResolver(stateOf);
    }

    public string Name { get; }

    /// <summary>The HTTP route prefix; null when the application is not exposed over HTTP.</summary>
    public string? RoutePrefix { get; }

    /// <summary>The deployment the proxies send requests to.</summary>
    public DeploymentState Ingress { get; }

    /// <summary>Every deployment of the application in dependency order: children before parents, the ingress last.</summary>
    public IReadOnlyList<DeploymentState> Deployments { get; }

    /// <summary>Each bound deployment of the graph and the state running it.</summary>
    public IReadOnlyDictionary<Application, DeploymentState> StateOf { get; }

    /// <summary>Handles to this application's deployments for the bound-deployment arguments of a new replica.</summary>
    public Func<Application, object> ResolveChild { get; }

    /// <summary>The ingress's RPCs that the gRPC proxy exposes, by exact <c>:path</c>.</summary>
    public FrozenDictionary<string, GrpcMethodDefinition> GrpcMethods { get; }

    /// <summary>The ingress's HTTP routes, compiled for matching.</summary>
    public HttpRouteTable HttpRoutes { get; }

    /// <summary>The graph the deployments were started from; null for states built outside the controller.</summary>
    public ApplicationGraph? Graph { get; init; }

    /// <summary>The config entry the application was last applied with (the controller compares the next one to it).</summary>
    public ApplicationConfig? Config { get; set; }

    /// <summary>
    /// Whether the application serves: health checks read it. An application whose last update failed
    /// while its running version kept serving stays <see cref="ApplicationStatus.Running"/> here;
    /// <see cref="DeployFailure"/> says what failed.
    /// </summary>
    public ApplicationStatus Status
    {
        get => (ApplicationStatus)Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, (int)value);
    }

    /// <summary>Why the last apply could not bring the application to its config; null when it did.</summary>
    public string? DeployFailure
    {
        get => Volatile.Read(ref _deployFailure);
        set => Volatile.Write(ref _deployFailure, value);
    }

    /// <summary>
    /// The status <c>serve status</c> reports: DEPLOY_FAILED while <see cref="DeployFailure"/> is set, else UNHEALTHY while a
    /// deployment is (a replica failed its health checks and is being replaced).
    /// </summary>
    public ApplicationStatus ReportedStatus
        => DeployFailure is not null ? ApplicationStatus.DeployFailed
            : Status == ApplicationStatus.Running && UnhealthyDeployments().Any() ? ApplicationStatus.Unhealthy
            : Status;

    /// <summary>The message <c>serve status</c> reports with the status, worded as Ray's.</summary>
    public string Message
        => DeployFailure
           ?? (UnhealthyDeployments().ToList() is { Count: > 0 } unhealthy
               ? $"The deployments [{string.Join(", ", unhealthy.Select(d => "'" + d.Name + "'"))}] are UNHEALTHY."
               : "");

    private IEnumerable<DeploymentState> UnhealthyDeployments() => Deployments.Where(d => d.Status == DeploymentStatus.Unhealthy);

    /// <summary>When the application's config was last applied with a change.</summary>
    public DateTimeOffset LastDeployedTime
    {
        get => new(Volatile.Read(ref _lastDeployedTicks), TimeSpan.Zero);
        set => Volatile.Write(ref _lastDeployedTicks, value.UtcTicks);
    }

    /// <summary>The same running application under another route prefix (the proxies see either whole).</summary>
    public ApplicationState WithRoutePrefix(string? routePrefix) => new(Name, routePrefix, Ingress, GrpcMethods, Deployments)
    {
        Graph = Graph,
        Config = Config,
        Status = Status,
        DeployFailure = DeployFailure,
        LastDeployedTime = LastDeployedTime,
    };
}
