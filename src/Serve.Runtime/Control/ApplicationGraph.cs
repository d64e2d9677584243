using System.Text.Json;
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
    /// The problems with <paramref name="configured"/>: one message per entry that names no deployment of
    /// this graph, with the entry's index in the list.
    /// </summary>
    public IReadOnlyList<(int Index, string Message)> CheckConfigured(string applicationName, IReadOnlyList<DeploymentConfig> configured)
    {
        var problems = new List<(int, string)>();
        for (var i = 0; i < configured.Count; i++)
        {
            if (Find(configured[i].Name) is null)
            {
                problems.Add((i, $"Deployment '{configured[i].Name}' in the config is not part of application '{applicationName}'. Its deployments: {NameList}."));
            }
        }
        return problems;
    }

    /// <summary>The node named <paramref name="name"/>, or null.</summary>
    public Node? Find(string name)
    {
        foreach (var node in _nodes)
        {
            if (string.Equals(node.Name, name, StringComparison.Ordinal))
            {
                return node;
            }
        }
        return null;
    }

    /// <summary>The options <paramref name="node"/> runs with under <paramref name="configured"/> (attribute &lt; code &lt; config).</summary>
    public static EffectiveOptions Resolve(Node node, IReadOnlyList<DeploymentConfig> configured, TargetCapacity capacity = default)
    {
        DeploymentConfig? entry = null;
        foreach (var candidate in configured)
        {
            if (string.Equals(candidate.Name, node.Name, StringComparison.Ordinal))
            {
                entry = candidate;
            }
        }
        return EffectiveOptions.Resolve(node.Application, entry, capacity);
    }

    /// <summary>
    /// Creates a <see cref="DeploymentState"/> per node with its options (attribute &lt; code &lt; the config
    /// entry of the same name) and starts its replicas, children before parents, so that each parent's
    /// replicas receive handles to running children. A deployment with a user_config has it applied
    /// (<see cref="IReconfigurable.ReconfigureAsync"/>) on each replica before the replica joins its router.
    /// </summary>
    /// <returns>The deployments in dependency order, the ingress last.</returns>
    /// <exception cref="DeployException">A config entry names no deployment of the graph, or a replica failed to start
    /// (the replicas started before it are stopped).</exception>
    /// <exception cref="OperationCanceledException">Cancelled while a replica applied its user_config (the replicas
    /// started are stopped).</exception>
    public async Task<IReadOnlyList<DeploymentState>> StartAsync(string applicationName, IReadOnlyList<DeploymentConfig> configured, IServiceProvider services, CancellationToken cancellationToken,
        TargetCapacity capacity = default)
    {
        var problems = CheckConfigured(applicationName, configured);
        if (problems.Count > 0)
        {
            throw new DeployException(string.Join(Environment.NewLine, problems.Select(p => p.Message)));
        }

        var states = new DeploymentState[_nodes.Length];
        var stateOf = new Dictionary<Application, DeploymentState>(_nodes.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < _nodes.Length; i++)
        {
            states[i] = new DeploymentState(applicationName, _nodes[i].Application, _nodes[i].Name, Resolve(_nodes[i], configured, capacity), services);
            stateOf.Add(_nodes[i].Application, states[i]);
        }
        var resolveChild = ChildResolver(stateOf);

        var started = new List<Replica>();
        try
        {
            foreach (var state in states)
            {
                var userConfig = state.Options.UserConfig is { } json ? EffectiveOptions.ParseUserConfig(json) : (JsonElement?)null;
                var replicas = new List<Replica>(state.NumReplicas);
                state.ResolveChild = resolveChild;
                var attempts = StartAttempts.For(state.Options, state.NumReplicas);
                for (var r = 0; r < state.NumReplicas; r++)
                {
                    var replica = await state.Supervisor.StartWithRetriesAsync(resolveChild, r, userConfig, attempts, cancellationToken).ConfigureAwait(false);
                    replicas.Add(replica);
                    started.Add(replica);
                }
                state.Router.SetReplicas(replicas);
                state.SetStatus(DeploymentStatus.Healthy, DeploymentStatusTrigger.ConfigUpdateCompleted);
            }
        }
        catch
        {
            // They never served a request (only, at most, a parent's constructor), so stopping does not wait.
            foreach (var replica in started)
            {
                await DeploymentState.StopQuietlyAsync(replica).ConfigureAwait(false);
            }
            throw;
        }
        return states;
    }

    /// <summary>
    /// What a new replica receives for each bound child deployment: a handle sending to the child's router.
    /// Used at start and when a running deployment scales up, so new replicas call the same children.
    /// </summary>
    public static Func<Application, object> ChildResolver(IReadOnlyDictionary<Application, DeploymentState> stateOf)
        => child => stateOf.TryGetValue(child, out var state)
            ? child.CreateHandle(state.HandleTarget)
            : throw new InvalidOperationException($"Deployment '{child.Name}' was not among the application's bound deployments when it was deployed.");

    /// <summary>
    /// Stops the replicas of one application's <paramref name="deployments"/> (dependency order, as
    /// <see cref="StartAsync"/> returns them) in reverse: parents first, so that requests still running in a
    /// parent can call its children, which stop only once every parent has drained. Each deployment's replicas get its
    /// own <c>graceful_shutdown_timeout_s</c> (and report every <c>graceful_shutdown_wait_loop_s</c>); health checks stop
    /// first, so that no replacement starts meanwhile.
    /// </summary>
    /// <param name="deployments">The application's deployments.</param>
    /// <param name="cancellationToken">Cuts every drain short: the host cannot wait any longer.</param>
    /// <param name="drainTimeout">Replaces every deployment's own timeout when set (local testing mode's fixed one).</param>
    public static async Task StopAsync(IReadOnlyList<DeploymentState> deployments, CancellationToken cancellationToken, TimeSpan? drainTimeout = null)
    {
        if (deployments.Count == 0)
        {
            return;
        }
        await Task.WhenAll(deployments.Select(d => d.Supervisor.StopAsync())).ConfigureAwait(false);
        List<Exception>? failures = null;
        for (var i = deployments.Count - 1; i >= 0; i--)
        {
            var options = deployments[i].Options;
            var replicas = deployments[i].Router.Replicas;
            // Its parents have drained: requests still waiting for a slot here (or held at zero replicas) fail now.
            deployments[i].Router.Close();
            var stops = new Task[replicas.Count];
            for (var r = 0; r < stops.Length; r++)
            {
                stops[r] = replicas[r].StopAsync(drainTimeout ?? options.GracefulShutdownTimeout, cancellationToken, options.GracefulShutdownWaitLoop).AsTask();
            }
            try
            {
                await Task.WhenAll(stops).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A Dispose that throws is the deployment's bug: the children still stop, and every failure is reported.
                (failures ??= []).AddRange(stops.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions));
            }
        }
        if (failures is not null)
        {
            throw new AggregateException("Stopping the application's replicas failed.", failures);
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
internal sealed class DeployException(string message, bool retryable = true) : InvalidOperationException(message)
{
    /// <summary>False for a configuration error that fails every attempt the same way (a missing service, a user_config
    /// without IReconfigurable): starting the replica again would not help, so it is not retried.</summary>
    public bool Retryable { get; } = retryable;
}
