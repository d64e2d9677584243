using Serve.Config;
using Serve.Replicas;

namespace Serve.Control;

/// <summary>
/// The deployments of one application: the graph of bound deployments reached from the ingress through
/// <see cref="Application.Children"/>, each distinct bound deployment once (compared by reference, so a
/// diamond is one deployment), in dependency order and named as Ray Serve's <c>build_app</c> names them.
/// Shared by the controller and local testing mode.
/// </summary>
internal sealed class ApplicationGraph
{
    private readonly Node[] _nodes;

    private ApplicationGraph(Node[] nodes, Rename[] renames)
    {
        _nodes = nodes;
        Renames = renames;
    }

    /// <summary>Every deployment in dependency order: children before parents, the ingress last.</summary>
    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>The deployment requests enter through.</summary>
    public Node Ingress => _nodes[^1];

    /// <summary>Deployments renamed because another one already had their name (Ray logs a warning for each).</summary>
    public IReadOnlyList<Rename> Renames { get; }

    /// <summary>The deployments' names, comma-separated, in dependency order.</summary>
    public string NameList
    {
        get
        {
            var names = new string[_nodes.Length];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = _nodes[i].Name;
            }
            return string.Join(", ", names);
        }
    }

    /// <summary>
    /// Walks the graph from <paramref name="ingress"/> depth first, children in argument order, and names
    /// each node after its children, as Ray does: the bound name if free, else the first free of
    /// <c>name_1</c>, <c>name_2</c>, …
    /// </summary>
    /// <exception cref="DeployException">The graph has a cycle.</exception>
    public static ApplicationGraph Build(Application ingress)
    {
        ArgumentNullException.ThrowIfNull(ingress);
        var walk = new Walk();
        walk.Visit(ingress);
        return new ApplicationGraph([.. walk.Nodes], [.. walk.Renames]);
    }

    /// <summary>
    /// Creates a <see cref="DeploymentState"/> per node with its options (attribute &lt; code &lt; the config
    /// entry of the same name) and starts its replicas, children before parents, so that each parent's
    /// replicas receive handles to running children.
    /// </summary>
    /// <returns>The deployments in dependency order, the ingress last.</returns>
    /// <exception cref="DeployException">A config entry names no deployment of the graph, or a replica failed to start
    /// (the replicas started before it are stopped).</exception>
    public IReadOnlyList<DeploymentState> Start(string applicationName, IReadOnlyList<DeploymentConfig> configured)
    {
        var overrides = new Dictionary<string, DeploymentConfig>(StringComparer.Ordinal);
        foreach (var entry in configured)
        {
            if (!Contains(entry.Name))
            {
                throw new DeployException($"Deployment '{entry.Name}' in the config is not part of application '{applicationName}'. Its deployments: {NameList}.");
            }
            overrides[entry.Name] = entry;
        }

        var states = new DeploymentState[_nodes.Length];
        var stateOf = new Dictionary<Application, DeploymentState>(_nodes.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < _nodes.Length; i++)
        {
            var node = _nodes[i];
            var options = node.Application.Deployment.Options.Merge(node.Application.Options);
            if (overrides.TryGetValue(node.Name, out var entry))
            {
                options = options.Merge(entry.ToDeploymentOptions());
            }
            states[i] = new DeploymentState(
                applicationName,
                node.Application.Deployment,
                node.Name,
                options.NumReplicas ?? DeploymentOptions.DefaultNumReplicas,
                options.MaxOngoingRequests ?? DeploymentOptions.DefaultMaxOngoingRequests,
                options.MaxQueuedRequests ?? DeploymentOptions.DefaultMaxQueuedRequests);
            stateOf.Add(node.Application, states[i]);
        }

        // One handle per child per replica, all sending to the child's router.
        Func<Application, object> resolveChild = child => stateOf.TryGetValue(child, out var state)
            ? child.CreateHandle(state.HandleTarget)
            : throw new InvalidOperationException($"Deployment '{child.Name}' was not among the application's bound deployments when it was deployed.");

        var started = new List<Replica>();
        for (var i = 0; i < states.Length; i++)
        {
            var state = states[i];
            var application = _nodes[i].Application;
            var replicas = new List<Replica>(state.NumReplicas);
            for (var r = 0; r < state.NumReplicas; r++)
            {
                object instance;
                try
                {
                    instance = application.CreateInstance(resolveChild);
                }
                catch (Exception ex)
                {
                    Abandon(started);
                    throw new DeployException($"Replica {r} of deployment '{state.Name}' failed to start: {ex}");
                }
                var replica = new Replica($"{applicationName}#{state.Name}#{Guid.NewGuid().ToString("N")[..6]}", state.Name, instance, state.MaxOngoingRequests,
                    application.Deployment.MultiplexedModels?.Invoke(instance));
                replicas.Add(replica);
                started.Add(replica);
            }
            state.Router.SetReplicas(replicas);
            state.Status = DeploymentStatus.Healthy;
        }
        return states;
    }

    /// <summary>
    /// Stops the replicas of one application's <paramref name="deployments"/> (dependency order, as
    /// <see cref="Start"/> returns them) in reverse: parents first, so that requests still running in a
    /// parent can call its children, which stop only once every parent has drained. All stages share
    /// one <paramref name="drainTimeout"/>.
    /// </summary>
    public static async Task StopAsync(IReadOnlyList<DeploymentState> deployments, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + drainTimeout;
        for (var i = deployments.Count - 1; i >= 0; i--)
        {
            var replicas = deployments[i].Router.Replicas;
            var remaining = deadline - DateTime.UtcNow;
            if (remaining < TimeSpan.Zero)
            {
                remaining = TimeSpan.Zero;
            }
            var stops = new Task[replicas.Count];
            for (var r = 0; r < stops.Length; r++)
            {
                stops[r] = replicas[r].StopAsync(remaining, cancellationToken).AsTask();
            }
            await Task.WhenAll(stops).ConfigureAwait(false);
        }
    }

    private bool Contains(string name)
    {
        foreach (var node in _nodes)
        {
            if (string.Equals(node.Name, name, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Disposes the instances of a deploy that failed. They never served a request, so stopping does not
    /// wait; an asynchronous dispose is left to finish on its own, its failure observed.
    /// </summary>
    private static void Abandon(List<Replica> replicas)
    {
        foreach (var replica in replicas)
        {
            var stopping = replica.StopAsync(TimeSpan.Zero, CancellationToken.None);
            if (!stopping.IsCompletedSuccessfully)
            {
                _ = stopping.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                    TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    /// <summary>One deployment of the graph.</summary>
    /// <param name="Application">The bound deployment.</param>
    /// <param name="Name">Its name in the application, unique there.</param>
    internal sealed record Node(Application Application, string Name);

    /// <summary>A deployment whose bound name was taken.</summary>
    internal readonly record struct Rename(string BoundName, string Name);

    private sealed class Walk
    {
        private readonly Dictionary<Application, string> _names = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
        private readonly List<Application> _path = [];

        public List<Node> Nodes { get; } = [];

        public List<Rename> Renames { get; } = [];

        public void Visit(Application application)
        {
            if (_names.ContainsKey(application))
            {
                return;
            }
            if (_path.Contains(application, ReferenceEqualityComparer.Instance))
            {
                throw new DeployException($"The deployment graph has a cycle: {DescribeCycle(application)}.");
            }
            _path.Add(application);
            foreach (var child in application.Children)
            {
                Visit(child);
            }
            _path.RemoveAt(_path.Count - 1);

            // Named after its children, as Ray's build_app does: two unnamed `Model` children of a
            // `Model` ingress are Model and Model_1, the ingress Model_2.
            var bound = application.Name;
            var name = bound;
            for (var suffix = 1; _taken.Contains(name); suffix++)
            {
                name = bound + "_" + suffix.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            if (!ReferenceEquals(name, bound))
            {
                Renames.Add(new Rename(bound, name));
            }
            _taken.Add(name);
            _names.Add(application, name);
            Nodes.Add(new Node(application, name));
        }

        private string DescribeCycle(Application repeated)
        {
            var start = _path.FindIndex(a => ReferenceEquals(a, repeated));
            var names = new List<string>();
            for (var i = start; i < _path.Count; i++)
            {
                names.Add(_path[i].Name);
            }
            names.Add(repeated.Name);
            return string.Join(" -> ", names);
        }
    }
}

/// <summary>
/// An application could not be deployed; the message says why. The controller reports it as the
/// application's DEPLOY_FAILED message; local testing mode throws it.
/// </summary>
internal sealed class DeployException(string message) : InvalidOperationException(message);
