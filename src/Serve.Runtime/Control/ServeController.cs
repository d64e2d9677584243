using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Dispatch;
using Serve.Replicas;
using Serve.Routing;

namespace Serve.Control;

/// <summary>
/// Runs the applications of a config in this process and keeps them equal to the last config applied,
/// changing only what differs, as Ray Serve's declarative deploys do: resolves each <c>import_path</c>
/// through the generated registry, applies options (config &gt; code &gt; attribute &gt; defaults), starts,
/// updates and stops replicas, and publishes the route table the proxies read.
/// </summary>
internal sealed partial class ServeController : IDisposable
{
    /// <summary>The source name of errors found in a config applied to the running instance.</summary>
    internal const string ConfigSource = "config";

    private readonly ILogger<ServeController> _logger;
    private readonly SemaphoreSlim _applyLock = new(1, 1);

    // Guards the fields below it for the status readers; the apply lock serializes the writers.
    private readonly object _stateLock = new();
    private readonly Dictionary<string, FailedApplication> _failed = new(StringComparer.Ordinal);
    private readonly List<Task> _stops = [];
    private string[] _order = [];
    private Dictionary<string, int> _orderIndex = new(StringComparer.Ordinal);
    private Dictionary<string, string?> _requestedPrefixes = new(StringComparer.Ordinal);
    // Each application's entry in the last config applied (Ray's deployed_app_config), by name.
    private Dictionary<string, ApplicationConfig> _requested = new(StringComparer.Ordinal);
    private string? _deploying;
    private bool _applying;

    private List<ApplicationState> _applications = [];
    private RouteTable _routes = RouteTable.NotPopulated;
    private ServeConfig? _instance;
    private GrpcServicerFunction[] _servicers = [];
    // The last applied config's target_capacity and its direction; read and written under the apply lock.
    private TargetCapacity _capacity;
    private volatile bool _draining;
    private bool _stopped;

    /// <summary>Creates the controller.</summary>
    /// <param name="logger">Its log.</param>
    /// <param name="services">The host's services, which deployment constructors resolve their service parameters from
    /// (one scope per replica); null gives them <see cref="DeploymentServiceDefaults.Provider"/>.</param>
    public ServeController(ILogger<ServeController> logger, IServiceProvider? services = null)
    {
        _logger = logger;
        Services = services ?? DeploymentServiceDefaults.Provider;
    }

    /// <summary>What deployment constructors resolve their service parameters from.</summary>
    public IServiceProvider Services { get; }

    /// <summary>
    /// The host's options, whose shutdown timeout each apply raises to twice the longest <c>graceful_shutdown_timeout_s</c>
    /// now running, so that replicas deployed after the start (<c>deploy</c>, the REST API) get theirs at process
    /// shutdown too. The host reads the timeout when it begins to stop. Null outside a host.
    /// </summary>
    public Microsoft.Extensions.Hosting.HostOptions? HostOptions { get; init; }

    /// <summary>The current route table; replaced as a whole on every change.</summary>
    public RouteTable Routes => Volatile.Read(ref _routes);

    /// <summary>True once shutdown began: health checks fail so load balancers stop sending traffic.</summary>
    public bool IsDraining => _draining;

    /// <summary>The running applications, in config order.</summary>
    public IReadOnlyList<ApplicationState> Applications => Volatile.Read(ref _applications);

    /// <summary>
    /// The instance-level sections (<c>proxy_location</c>, <c>http_options</c>, <c>grpc_options</c>,
    /// <c>logging_config</c>) fixed by the first config applied; null before it.
    /// </summary>
    public ServeConfig? InstanceConfig => Volatile.Read(ref _instance);

    /// <summary>
    /// The applications that are DEPLOY_FAILED, by name, with the reason: those that could not be deployed
    /// at all, and running ones whose last update failed (their running version keeps serving).
    /// </summary>
    public IReadOnlyDictionary<string, string> FailedApplications
    {
        get
        {
            lock (_stateLock)
            {
                var failed = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (name, failure) in _failed)
                {
                    failed[name] = failure.Message;
                }
                foreach (var app in _applications)
                {
                    if (app.DeployFailure is { } message)
                    {
                        failed[app.Name] = message;
                    }
                }
                return failed;
            }
        }
    }

    /// <summary>
    /// Makes the running applications equal to <paramref name="config"/>'s, changing only what differs:
    /// applications not in it are removed (routes first, then their replicas drain and stop, parents
    /// first); new ones are deployed; one whose <c>import_path</c>, <c>args</c> or <c>runtime_env</c>
    /// changed is redeployed (new graph started, routes switched, old graph drained); one whose code is
    /// unchanged keeps its replicas and gets only its option changes (replica count, request limits,
    /// user_config through <see cref="IReconfigurable"/>, route prefix). Applying the same config twice
    /// changes nothing. Applies run one at a time.
    /// </summary>
    /// <remarks>
    /// The whole config is checked first; if anything is wrong nothing changes. An application that
    /// fails while deploying (a builder or constructor throws) is reported DEPLOY_FAILED and the others
    /// proceed; a running application whose update fails keeps serving its running version.
    /// </remarks>
    /// <returns>
    /// Instance-level options (<c>http_options</c>, <c>grpc_options</c>, <c>proxy_location</c>,
    /// <c>logging_config</c>) the config sets to other values than the running instance's: they need a restart,
    /// so, as Ray Serve does, they are ignored (and logged as a warning) and the applications are applied. One
    /// message per option; empty when there are none.
    /// </returns>
    /// <exception cref="ServeConfigException">The config is invalid or names deployments its applications do not
    /// have. Nothing changed.</exception>
    /// <exception cref="InvalidOperationException">Serve is shutting down.</exception>
    /// <param name="config">The config to apply.</param>
    /// <param name="cancellationToken">Cancels the apply, also once it began (the host stopping).</param>
    /// <param name="whileQueued">Cancels the apply only while it waits for an earlier one to finish: the REST API's
    /// client leaving. Once it runs, it runs to the end; half an apply would be worse than a finished one.</param>
    public Task<IReadOnlyList<string>> ApplyAsync(ServeConfig config, CancellationToken cancellationToken = default, CancellationToken whileQueued = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        return ApplyCoreAsync(config, checkInstance: true, cancellationToken, whileQueued);
    }

    /// <summary>Removes every application (the REST API's DELETE); the instance keeps running.</summary>
    /// <param name="cancellationToken">Cancels the removal, also once it began (the host stopping).</param>
    /// <param name="whileQueued">Cancels it only while it waits for an apply in progress, as with <see cref="ApplyAsync"/>.</param>
    public Task DeleteAllAsync(CancellationToken cancellationToken = default, CancellationToken whileQueued = default)
        => ApplyCoreAsync(null, checkInstance: false, cancellationToken, whileQueued);

    private async Task<IReadOnlyList<string>> ApplyCoreAsync(ServeConfig? config, bool checkInstance, CancellationToken cancellationToken, CancellationToken whileQueued)
    {
        if (whileQueued.CanBeCanceled)
        {
            using var queued = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, whileQueued);
            await _applyLock.WaitAsync(queued.Token).ConfigureAwait(false);
        }
        else
        {
            await _applyLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        try
        {
            // The lock may have come as the caller left: a request nobody waits for any more is not applied later.
            whileQueued.ThrowIfCancellationRequested();
            if (_stopped)
            {
                throw new InvalidOperationException("Serve is shutting down; the config was not applied.");
            }
            if (config is null)
            {
                if (_instance is null)
                {
                    return [];
                }
                config = _instance with { Applications = [] };
            }
            var ignored = new List<string>();
            if (_instance is not null && checkInstance)
            {
                CheckInstanceUnchanged(_instance, config, ignored);
                if (ignored.Count > 0)
                {
                    LogInstanceOptionsIgnored(string.Join("; ", ignored));
                    // What runs keeps running as it was started; only the applications are taken from the config.
                    config = _instance with { Applications = config.Applications, TargetCapacity = config.TargetCapacity };
                }
            }
            var plans = Plan(config);
            await ExecuteAsync(config, plans, cancellationToken).ConfigureAwait(false);
            return ignored;
        }
        finally
        {
            _applyLock.Release();
        }
    }

    private enum Change
    {
        /// <summary>Not running: deploy it.</summary>
        New,
        /// <summary>Running with other code: start the new graph, switch, stop the old.</summary>
        Redeploy,
        /// <summary>Running with the same code: apply option differences in place.</summary>
        Update,
    }

    private sealed record AppPlan(ApplicationConfig Config, Change Change, ApplicationState? Current, ApplicationGraph? Graph, string? BuildError);

    private sealed record FailedApplication(string Name, string? RoutePrefix, string Message, DateTimeOffset LastDeployedTime);

    /// <summary>Checks the whole config against what runs and builds the graphs of new and changed applications.</summary>
    private List<AppPlan> Plan(ServeConfig config)
    {
        var errors = new List<ServeConfigError>();
        var capacity = TargetCapacity.Next(_capacity, config.TargetCapacity);
        if (_instance is null)
        {
            _servicers = CheckServicerFunctions(config.GrpcOptions.GrpcServicerFunctions, errors);
        }

        var running = Applications.ToDictionary(a => a.Name, StringComparer.Ordinal);
        var plans = new List<AppPlan>(config.Applications.Count);
        for (var i = 0; i < config.Applications.Count; i++)
        {
            var appConfig = config.Applications[i];
            running.TryGetValue(appConfig.Name, out var current);
            AppPlan plan;
            if (current?.Graph is not null && current.Config is not null && SameCode(current.Config, appConfig))
            {
                plan = new AppPlan(appConfig, Change.Update, current, current.Graph, null);
            }
            else
            {
                var graph = TryBuildGraph(appConfig, out var error);
                plan = new AppPlan(appConfig, current is null ? Change.New : Change.Redeploy, current, graph, error);
            }
            if (plan.Graph is { } g)
            {
                foreach (var (index, message) in g.CheckConfigured(appConfig.Name, appConfig.Deployments))
                {
                    errors.Add(new ServeConfigError(ConfigSource, null, null, $"applications[{i}].deployments[{index}].name", message));
                }
            }
            plans.Add(plan);
        }

        var replicas = 0L;
        foreach (var plan in plans)
        {
            if (plan.Graph is { } graph)
            {
                foreach (var node in graph.Nodes)
                {
                    // An autoscaled deployment counts as many as it may grow to.
                    replicas += ApplicationGraph.Resolve(node, plan.Config.Deployments, capacity).UpperBound;
                }
            }
        }
        if (replicas > ServeConfig.MaxReplicas)
        {
            errors.Add(new ServeConfigError(ConfigSource, null, null, "applications", string.Create(CultureInfo.InvariantCulture,
                $"the config runs {replicas:N0} replicas over all its deployments; one Serve instance runs at most {ServeConfig.MaxReplicas:N0}.")));
        }

        if (errors.Count > 0)
        {
            // The first few: the whole list goes back to the caller.
            LogRejected(errors.Count, string.Join("; ", errors.Take(10).Select(e => e.KeyPath.Length == 0 ? e.Message : $"{e.KeyPath}: {e.Message}")));
            throw new ServeConfigException(errors);
        }
        return plans;
    }

    /// <remarks>
    /// The work is linear in the config's size: the route table the proxies read is published once for the whole
    /// config (and once before, without the removed applications), not once per application, which made a config of
    /// 10,000 applications take minutes.
    /// </remarks>
    private async Task ExecuteAsync(ServeConfig config, List<AppPlan> plans, CancellationToken cancellationToken)
    {
        _capacity = TargetCapacity.Next(_capacity, config.TargetCapacity);
        var wanted = new HashSet<string>(config.Applications.Select(a => a.Name), StringComparer.Ordinal);
        var running = Applications;
        lock (_stateLock)
        {
            _order = [.. config.Applications.Select(a => a.Name)];
            _orderIndex = new Dictionary<string, int>(_order.Length, StringComparer.Ordinal);
            _requestedPrefixes = new Dictionary<string, string?>(_order.Length, StringComparer.Ordinal);
            _requested = new Dictionary<string, ApplicationConfig>(_order.Length, StringComparer.Ordinal);
            for (var i = 0; i < _order.Length; i++)
            {
                _orderIndex[_order[i]] = i;
                _requestedPrefixes[_order[i]] = config.Applications[i].RoutePrefix;
                _requested[_order[i]] = config.Applications[i];
            }
            foreach (var name in _failed.Keys.Where(n => !wanted.Contains(n)).ToList())
            {
                _failed.Remove(name);
            }
            _applying = true;
        }
        Volatile.Write(ref _instance, (_instance ?? config) with { Applications = [], TargetCapacity = config.TargetCapacity });

        var next = new Dictionary<string, ApplicationState>(running.Count, StringComparer.Ordinal);
        var removed = new List<ApplicationState>();
        foreach (var app in running)
        {
            if (wanted.Contains(app.Name))
            {
                next[app.Name] = app;
            }
            else
            {
                removed.Add(app);
            }
        }
        // Routes go first, so that no request enters an application whose replicas are stopping.
        if (removed.Count > 0)
        {
            Publish(next.Values);
            foreach (var app in removed)
            {
                LogApplicationRemoved(app.Name);
                StopInBackground(app.Deployments);
            }
        }

        // Versions replaced by a redeploy: they drain once the new ones are routed to.
        var replaced = new List<ApplicationState>();
        try
        {
            foreach (var plan in plans)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // The status says DEPLOYING while an application is deployed or updated, as Ray's does.
                SetDeploying(plan.Config.Name);
                switch (plan.Change)
                {
                    case Change.New:
                    case Change.Redeploy:
                        if (await DeployAsync(plan, cancellationToken).ConfigureAwait(false) is { } deployed)
                        {
                            next[deployed.Name] = deployed;
                            Supervise(deployed);
                            if (plan.Current is { } old)
                            {
                                replaced.Add(old);
                            }
                        }
                        break;
                    case Change.Update:
                        var updated = await UpdateAsync(plan, cancellationToken).ConfigureAwait(false);
                        next[updated.Name] = updated;
                        break;
                }
            }
        }
        finally
        {
            SetDeploying(null);
            try
            {
                // Even with no change at all: the first apply populates the route table. Also when the apply was cut
                // short (shutdown): what started is routed to, so that stopping the host stops it.
                Publish(next.Values);
                AllowForShutdown(next.Values);
            }
            finally
            {
                foreach (var old in replaced)
                {
                    // The old graph drains after the switch: requests it holds finish, new ones reach the new graph.
                    StopInBackground(old.Deployments);
                }
                lock (_stateLock)
                {
                    _applying = false;
                }
            }
        }
    }

    private void SetDeploying(string? name)
    {
        lock (_stateLock)
        {
            _deploying = name;
        }
    }

    /// <summary>
    /// Deploys a new application, or a running one's new code next to the old; the caller switches the routes.
    /// Null when it failed (reported DEPLOY_FAILED; a running version keeps serving).
    /// </summary>
    private async Task<ApplicationState?> DeployAsync(AppPlan plan, CancellationToken cancellationToken)
    {
        var appConfig = plan.Config;
        var now = DateTimeOffset.UtcNow;
        if (plan.Graph is not { } graph)
        {
            Fail(plan, plan.BuildError!, now);
            return null;
        }
        foreach (var rename in graph.Renames)
        {
            LogDeploymentRenamed(appConfig.Name, rename.BoundName, rename.Name);
        }

        IReadOnlyList<DeploymentState> deployments;
        try
        {
            deployments = await graph.StartAsync(appConfig.Name, appConfig.Deployments, Services, cancellationToken, _capacity).ConfigureAwait(false);
        }
        catch (DeployException ex)
        {
            Fail(plan, ex.Message, now);
            return null;
        }

        var ingress = deployments[^1];
        // An empty grpc_servicer_functions list means no gRPC methods are exposed, as in Ray Serve.
        var methods = ingress.Definition.GrpcMethods
            .Where(m => _servicers.Any(s => s.Matches(m.ServiceName)))
            .ToFrozenDictionary(m => m.Path, StringComparer.Ordinal);
        var app = new ApplicationState(appConfig.Name, appConfig.RoutePrefix, ingress, methods, deployments)
        {
            Graph = graph,
            Config = appConfig,
            Status = ApplicationStatus.Running,
            LastDeployedTime = now,
        };
        lock (_stateLock)
        {
            _failed.Remove(appConfig.Name);
        }
        if (plan.Current is not null)
        {
            LogApplicationRedeployed(appConfig.Name, appConfig.ImportPath, deployments.Count, Describe(deployments));
        }
        else if (_logger.IsEnabled(LogLevel.Information))
        {
            LogApplicationDeployed(appConfig.Name, appConfig.ImportPath, deployments.Count, Describe(deployments), ingress.Name, methods.Count);
        }
        foreach (var deployment in deployments)
        {
            WarnAboutBatchLimits(appConfig.Name, deployment, deployment.MaxOngoingRequests);
        }
        return app;
    }

    private void Fail(AppPlan plan, string message, DateTimeOffset now)
    {
        LogApplicationFailed(plan.Config.Name, message);
        if (plan.Current is { } current)
        {
            // Ray keeps the running version when the new one cannot be deployed.
            current.DeployFailure = message;
            current.LastDeployedTime = now;
            return;
        }
        lock (_stateLock)
        {
            _failed[plan.Config.Name] = new FailedApplication(plan.Config.Name, plan.Config.RoutePrefix, message, now);
        }
    }

    /// <summary>
    /// Applies option differences to a running application's deployments, keeping every replica it can. Returns the
    /// state to route to: a new one when the route prefix changed.
    /// </summary>
    private async Task<ApplicationState> UpdateAsync(AppPlan plan, CancellationToken cancellationToken)
    {
        var app = plan.Current!;
        var graph = plan.Graph!;
        var appConfig = plan.Config;
        var changes = new List<string>();
        var failures = new List<string>();
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var deployment = app.Deployments[i];
            var requested = ApplicationGraph.Resolve(graph.Nodes[i], appConfig.Deployments, _capacity);
            if (deployment.Options.SameAs(requested.ContinuingFrom(deployment.Options)))
            {
                if (deployment.Status != DeploymentStatus.Healthy)
                {
                    // A failed update was reverted: what runs is what the config asks for.
                    deployment.SetStatus(DeploymentStatus.Healthy, DeploymentStatusTrigger.ConfigUpdateCompleted);
                }
                continue;
            }
            try
            {
                await UpdateDeploymentAsync(app, deployment, requested, changes, cancellationToken).ConfigureAwait(false);
            }
            catch (DeployException ex)
            {
                deployment.SetStatus(DeploymentStatus.DeployFailed, DeploymentStatusTrigger.ReplicaStartupFailed, ex.Message);
                failures.Add(ex.Message);
            }
        }

        var updated = app;
        if (!string.Equals(app.RoutePrefix, appConfig.RoutePrefix, StringComparison.Ordinal))
        {
            changes.Add($"route_prefix {ConfigValues.Show(app.RoutePrefix)} -> {ConfigValues.Show(appConfig.RoutePrefix)}");
            updated = app.WithRoutePrefix(appConfig.RoutePrefix);
        }
        updated.Config = appConfig;
        updated.DeployFailure = failures.Count == 0 ? null : string.Join(Environment.NewLine, failures);
        if (changes.Count > 0 || failures.Count > 0)
        {
            updated.LastDeployedTime = DateTimeOffset.UtcNow;
        }
        if (changes.Count > 0)
        {
            LogApplicationUpdated(appConfig.Name, string.Join("; ", changes));
        }
        foreach (var failure in failures)
        {
            LogApplicationFailed(appConfig.Name, failure);
        }
        return updated;
    }

    private async Task UpdateDeploymentAsync(ApplicationState app, DeploymentState deployment, EffectiveOptions requested, List<string> changes, CancellationToken cancellationToken)
    {
        // A health replacement or the autoscaler changes the replica set too: one at a time.
        await deployment.ReplicaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The autoscaled count is read under the lock: a scaling that finished while this waited is kept, not undone.
            var target = requested.ContinuingFrom(deployment.Options);
            await UpdateDeploymentLockedAsync(app, deployment, target, changes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            deployment.ReplicaLock.Release();
        }
    }

    private async Task UpdateDeploymentLockedAsync(ApplicationState app, DeploymentState deployment, EffectiveOptions target, List<string> changes, CancellationToken cancellationToken)
    {
        var current = deployment.Options;
        var name = deployment.Name;
        deployment.SetStatus(DeploymentStatus.Updating, DeploymentStatusTrigger.ConfigUpdateStarted);
        var trigger = DeploymentStatusTrigger.ConfigUpdateCompleted;

        // Limits change in place: running requests keep their slots.
        if (target.MaxOngoingRequests != current.MaxOngoingRequests)
        {
            deployment.SetMaxOngoingRequests(target.MaxOngoingRequests);
            changes.Add($"{name}.max_ongoing_requests {current.MaxOngoingRequests} -> {target.MaxOngoingRequests}");
            WarnAboutBatchLimits(app.Name, deployment, target.MaxOngoingRequests);
        }
        if (target.MaxQueuedRequests != current.MaxQueuedRequests)
        {
            deployment.Router.MaxQueuedRequests = target.MaxQueuedRequests;
            changes.Add($"{name}.max_queued_requests {current.MaxQueuedRequests} -> {target.MaxQueuedRequests}");
        }
        // Every option takes its new value now, but those applied step by step below: the replica count, the user_config
        // and the scaling policy behind the count.
        deployment.Options = target with
        {
            NumReplicas = current.NumReplicas,
            UserConfig = current.UserConfig,
            Autoscaling = current.Autoscaling,
            TargetCapacity = current.TargetCapacity,
        };
        if (target.HealthCheckPeriod != current.HealthCheckPeriod)
        {
            // The loop may be waiting out the old period, however long: it measures its wait again.
            deployment.Supervisor.PeriodChanged();
        }

        // Down first: replicas about to stop are not reconfigured.
        var replicas = deployment.Router.Replicas;
        if (target.NumReplicas < replicas.Count)
        {
            Track(StopQuietlyAsync(() => deployment.ScaleDownLocked(target.NumReplicas, DeploymentStatusTrigger.ConfigUpdateStarted)));
            changes.Add($"{name}.num_replicas {replicas.Count} -> {target.NumReplicas}");
            trigger = DeploymentStatusTrigger.DownscaleCompleted;
            replicas = deployment.Router.Replicas;
        }

        if (!current.SameUserConfig(target))
        {
            // Ray calls reconfigure only with a user_config; removing it leaves the replicas as they are.
            if (target.UserConfig is { } json)
            {
                var userConfig = EffectiveOptions.ParseUserConfig(json);
                var reconfigures = replicas.Select(r => deployment.ReconfigureAsync(r, userConfig, cancellationToken)).ToArray();
                try
                {
                    await Task.WhenAll(reconfigures).ConfigureAwait(false);
                }
                catch (DeployException)
                {
                    // Every failure, not only the first; the old user_config stays recorded so a re-apply retries.
                    throw new DeployException(string.Join(Environment.NewLine,
                        reconfigures.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).Select(e => e.Message)));
                }
            }
            deployment.Options = deployment.Options with { UserConfig = target.UserConfig };
            changes.Add($"{name}.user_config changed ({replicas.Count} replica(s) reconfigured)");
        }

        if (target.NumReplicas > replicas.Count)
        {
            await deployment.ScaleUpLockedAsync(target.NumReplicas, DeploymentStatusTrigger.ConfigUpdateStarted, cancellationToken).ConfigureAwait(false);
            changes.Add($"{name}.num_replicas {replicas.Count} -> {target.NumReplicas}");
            trigger = DeploymentStatusTrigger.UpscaleCompleted;
        }
        deployment.Options = deployment.Options with { NumReplicas = target.NumReplicas, Autoscaling = target.Autoscaling, TargetCapacity = target.TargetCapacity };
        deployment.Supervisor.Refresh();
        deployment.SetStatus(DeploymentStatus.Healthy, trigger);
    }

    /// <summary>What the status API shows: every application of the last config, in its order.</summary>
    public ServeStatusSnapshot GetStatus()
    {
        lock (_stateLock)
        {
            var running = Applications.ToDictionary(a => a.Name, StringComparer.Ordinal);
            var views = new List<ApplicationStatusView>(_order.Length);
            foreach (var name in _order)
            {
                var deploying = string.Equals(_deploying, name, StringComparison.Ordinal);
                if (!deploying && _applying && !running.ContainsKey(name) && !_failed.ContainsKey(name))
                {
                    // Deployed but not routed to yet, or not reached yet: the apply in progress is deploying it.
                    deploying = true;
                }
                if (running.TryGetValue(name, out var app))
                {
                    views.Add(new ApplicationStatusView(name, app.RoutePrefix, deploying ? ApplicationStatus.Deploying : app.ReportedStatus, app.Message,
                        app.LastDeployedTime, app.Deployments, _requested.GetValueOrDefault(name)));
                }
                else if (deploying)
                {
                    views.Add(new ApplicationStatusView(name, null, ApplicationStatus.Deploying, "", null, [], _requested.GetValueOrDefault(name)));
                }
                else if (_failed.TryGetValue(name, out var failed))
                {
                    views.Add(new ApplicationStatusView(name, failed.RoutePrefix, ApplicationStatus.DeployFailed, failed.Message, failed.LastDeployedTime, [],
                        _requested.GetValueOrDefault(name)));
                }
                else
                {
                    views.Add(new ApplicationStatusView(name, null, ApplicationStatus.NotStarted, "", null, [], _requested.GetValueOrDefault(name)));
                }
            }
            return new ServeStatusSnapshot(InstanceConfig, views);
        }
    }

    /// <summary>Publishes <paramref name="applications"/> (in config order) to the proxies.</summary>
    private void Publish(IEnumerable<ApplicationState> applications)
    {
        lock (_stateLock)
        {
            var order = _orderIndex;
            var requested = _requestedPrefixes;
            List<ApplicationState> list = [.. applications.OrderBy(a => order.TryGetValue(a.Name, out var i) ? i : int.MaxValue)];
            // An application still at a prefix its failed redeploy was to leave yields it to one the config gives it to.
            var routes = new RouteTable(list, claimsPrefix: a => !requested.TryGetValue(a.Name, out var prefix) || string.Equals(prefix, a.RoutePrefix, StringComparison.Ordinal));
            Volatile.Write(ref _applications, list);
            Volatile.Write(ref _routes, routes);
        }
    }

    /// <summary>Raises the host's shutdown timeout to twice the longest graceful timeout of <paramref name="applications"/>.</summary>
    private void AllowForShutdown(IEnumerable<ApplicationState> applications)
    {
        if (HostOptions is not { } host)
        {
            return;
        }
        var longest = TimeSpan.Zero;
        foreach (var app in applications)
        {
            foreach (var deployment in app.Deployments)
            {
                longest = deployment.Options.GracefulShutdownTimeout > longest ? deployment.Options.GracefulShutdownTimeout : longest;
            }
        }
        var wanted = longest > TimeSpan.FromHours(12) ? TimeSpan.FromDays(1) : longest * 2;
        if (wanted > host.ShutdownTimeout)
        {
            host.ShutdownTimeout = wanted;
        }
    }

    /// <summary>Stops a removed or replaced application's replicas, parents first, without holding up the apply.</summary>
    private void StopInBackground(IReadOnlyList<DeploymentState> deployments)
        => Track(StopQuietlyAsync(() => ApplicationGraph.StopAsync(deployments, CancellationToken.None)));

    /// <summary>Lets a scaled-down deployment's surplus replicas finish their requests, then stops them.</summary>
    private void DrainInBackground(DeploymentState deployment, Replica[] surplus)
        => Track(StopQuietlyAsync(() => deployment.DrainAsync(surplus)));

    /// <summary>Starts health checks (and replacement) of a deployed application's deployments.</summary>
    private void Supervise(ApplicationState app)
    {
        foreach (var deployment in app.Deployments)
        {
            deployment.Supervisor.Start(drain => Track(StopQuietlyAsync(() => drain)));
        }
    }

    private async Task StopQuietlyAsync(Func<Task> stop)
    {
        try
        {
            await stop().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A Dispose that throws is the deployment's bug; it must not fault the controller.
            LogStopFailed(ex);
        }
    }

    private void Track(Task stopping)
    {
        lock (_stateLock)
        {
            _stops.RemoveAll(t => t.IsCompleted);
            _stops.Add(stopping);
        }
    }

    /// <summary>Waits for replicas stopping in the background (removed apps, replaced graphs, scale-downs).</summary>
    internal Task WhenStoppedAsync()
    {
        lock (_stateLock)
        {
            return Task.WhenAll(_stops.ToArray());
        }
    }

    /// <summary>True when no key that builds the application (declared <see cref="ChangeKind.Redeploy"/>) differs.</summary>
    private static bool SameCode(ApplicationConfig running, ApplicationConfig requested)
        => ApplicationConfig.Schema.Same(ChangeKind.Redeploy, running, requested);

    /// <summary>
    /// Instance-level sections cannot change while Serve runs (Ray says the same of its HTTP options, and
    /// ignores new values with a warning). A key left at its default is taken as not set, as Ray compares
    /// only the keys a config sets, so a config written without <c>http_options</c> says nothing about them.
    /// Which keys these are is declared with them (<see cref="ChangeKind.Restart"/>).
    /// </summary>
    private static void CheckInstanceUnchanged(ServeConfig running, ServeConfig requested, List<string> ignored)
        => ServeConfig.Schema.CollectRestarts(running, requested, ServeConfig.Schema.Create(), "", ignored);

    private static GrpcServicerFunction[] CheckServicerFunctions(IReadOnlyList<string> entries, List<ServeConfigError> errors)
    {
        var servicers = entries.Select(GrpcServicerFunction.Parse).ToArray();
        var known = ServeRegistry.Deployments.Values.SelectMany(d => d.GrpcServices).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        for (var i = 0; i < servicers.Length; i++)
        {
            if (!known.Any(servicers[i].Matches))
            {
                errors.Add(new ServeConfigError(ConfigSource, null, null, $"grpc_options.grpc_servicer_functions[{i}]",
                    $"'{servicers[i].Raw}' names no gRPC service served by a deployment of this host. Known services: {(known.Length == 0 ? "(none)" : string.Join(", ", known))}."));
            }
        }
        return servicers;
    }

    /// <summary>Calls the application's builder and walks its graph; user code, so a failure fails this app only.</summary>
    private static ApplicationGraph? TryBuildGraph(ApplicationConfig appConfig, out string? error)
    {
        Application? application;
        try
        {
            if (!ServeRegistry.TryBuild(appConfig.ImportPath, new ApplicationArgs(appConfig.Args), out application, out error))
            {
                return null;
            }
        }
        catch (Exception ex)
        {
            error = $"The application builder '{appConfig.ImportPath}' threw: {ex}";
            return null;
        }
        try
        {
            return ApplicationGraph.Build(application!);
        }
        catch (DeployException ex)
        {
            error = ex.Message;
            return null;
        }
        catch (Exception ex)
        {
            // Graph arguments (IDeploymentGraphArgument) are user code.
            error = $"Reading the deployment graph of '{appConfig.ImportPath}' failed: {ex}";
            return null;
        }
    }

    /// <summary>"Leaf=2, Ingress=1": each deployment with its replica count, in dependency order.</summary>
    private static string Describe(IReadOnlyList<DeploymentState> deployments)
        => string.Join(", ", deployments.Select(d => d.Name + "=" + d.NumReplicas.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Releases the apply lock; the container calls it after the host stopped.</summary>
    public void Dispose() => _applyLock.Dispose();

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
    /// Stops every replica, letting running requests finish within <paramref name="drainTimeout"/>, after
    /// an apply in progress ends (or the timeout passes). Applications stop side by side; within one, the
    /// ingress stops first and children after their parents, so that requests still running can call the
    /// deployments below them. No config can be applied afterwards.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        _draining = true;
        var locked = await _applyLock.WaitAsync(drainTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            _stopped = true;
            var apps = Applications;
            var stops = new Task[apps.Count + 1];
            for (var i = 0; i < apps.Count; i++)
            {
                stops[i] = ApplicationGraph.StopAsync(apps[i].Deployments, cancellationToken);
            }
            stops[^1] = WhenStoppedAsync();
            await Task.WhenAll(stops).ConfigureAwait(false);
        }
        finally
        {
            if (locked)
            {
                _applyLock.Release();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployed app '{App}' from '{ImportPath}': {DeploymentCount} deployment(s), replicas {Deployments}; ingress '{Ingress}' with {GrpcMethods} gRPC method(s).")]
    private partial void LogApplicationDeployed(string app, string importPath, int deploymentCount, string deployments, string ingress, int grpcMethods);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redeployed app '{App}' from '{ImportPath}': {DeploymentCount} deployment(s), replicas {Deployments}; the previous version is draining.")]
    private partial void LogApplicationRedeployed(string app, string importPath, int deploymentCount, string deployments);

    [LoggerMessage(Level = LogLevel.Information, Message = "Updated app '{App}' in place: {Changes}.")]
    private partial void LogApplicationUpdated(string app, string changes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed app '{App}': its routes are gone and its replicas are draining.")]
    private partial void LogApplicationRemoved(string app);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App '{App}': there are multiple deployments with the same name '{BoundName}'. Renaming one to '{Name}'.")]
    private partial void LogDeploymentRenamed(string app, string boundName, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to deploy app '{App}': {Reason}")]
    private partial void LogApplicationFailed(string app, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a config with {Count} problem(s); nothing changed: {Problems}")]
    private partial void LogRejected(int count, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Serve is already running and its instance options cannot change without a restart; the config's applications are applied, these options are ignored: {Options}")]
    private partial void LogInstanceOptionsIgnored(string options);

    [LoggerMessage(Level = LogLevel.Error, Message = "A replica failed to stop cleanly.")]
    private partial void LogStopFailed(Exception exception);

    /// <summary>Ray Serve's warning: a [Batch] method whose batches a replica can never fill under max_ongoing_requests.</summary>
    private void WarnAboutBatchLimits(string app, DeploymentState deployment, int maxOngoingRequests)
    {
        foreach (var problem in BatchLimits.Problems(deployment.Name, deployment.Definition, maxOngoingRequests))
        {
            LogBatchLimit(app, problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "App '{App}': {Problem}")]
    private partial void LogBatchLimit(string app, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Draining: health checks now report unavailable; running requests are allowed to finish.")]
    private partial void LogDraining();
}

/// <summary>What the status API reports: the instance's sections and every application of the last config.</summary>
/// <param name="Instance">The instance-level sections (no applications); null before the first apply.</param>
/// <param name="Applications">The applications in config order.</param>
internal sealed record ServeStatusSnapshot(ServeConfig? Instance, IReadOnlyList<ApplicationStatusView> Applications);

/// <summary>One application's status; <paramref name="Deployments"/> are live (their replicas and options are read when written).</summary>
internal sealed record ApplicationStatusView(string Name, string? RoutePrefix, ApplicationStatus Status, string Message, DateTimeOffset? LastDeployedTime,
    IReadOnlyList<DeploymentState> Deployments, ApplicationConfig? DeployedConfig = null);
