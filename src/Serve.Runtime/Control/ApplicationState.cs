using System.Collections.Frozen;
using Serve.Dispatch;
using Serve.Routing;

namespace Serve.Control;

/// <summary>
/// A deployed application: its ingress and the ingress's gRPC methods by path (what the proxies route
/// to), and every deployment of its graph.
/// </summary>
internal sealed class ApplicationState
{
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
    }

    public string Name { get; }

    /// <summary>The HTTP route prefix; null when the application is not exposed over HTTP.</summary>
    public string? RoutePrefix { get; }

    /// <summary>The deployment the proxies send requests to.</summary>
    public DeploymentState Ingress { get; }

    /// <summary>Every deployment of the application in dependency order: children before parents, the ingress last.</summary>
    public IReadOnlyList<DeploymentState> Deployments { get; }

    /// <summary>The ingress's RPCs that the gRPC proxy exposes, by exact <c>:path</c>.</summary>
    public FrozenDictionary<string, GrpcMethodDefinition> GrpcMethods { get; }

    /// <summary>The ingress's HTTP routes, compiled for matching.</summary>
    public HttpRouteTable HttpRoutes { get; }

    public ApplicationStatus Status { get; set; } = ApplicationStatus.Deploying;

    public string Message { get; set; } = "";

    public DateTimeOffset LastDeployedTime { get; set; }
}

/// <summary>
/// An immutable snapshot of the running applications. The controller publishes a new one on every
/// change; proxies read the current one without locks.
/// </summary>
internal sealed class RouteTable
{
    public static RouteTable NotPopulated { get; } = new([], populated: false);

    public RouteTable(IReadOnlyList<ApplicationState> applications, bool populated = true)
    {
        Populated = populated;
        Applications = applications.ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);
        ApplicationNames = applications.Select(a => a.Name).ToArray();
        Single = applications.Count == 1 ? applications[0] : null;
    }

    /// <summary>False until the controller deployed the config for the first time.</summary>
    public bool Populated { get; }

    public FrozenDictionary<string, ApplicationState> Applications { get; }

    /// <summary>Application names in config order.</summary>
    public IReadOnlyList<string> ApplicationNames { get; }

    /// <summary>The only application, when exactly one is deployed.</summary>
    public ApplicationState? Single { get; }
}
