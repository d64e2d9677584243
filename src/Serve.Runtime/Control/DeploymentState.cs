using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using System.Text.Json;
using Serve.Config;
using Serve.Dispatch;
using Serve.Replicas;
using Serve.Routing;

namespace Serve.Control;

/// <summary>
/// The options a deployment runs with: the <see cref="DeploymentAttribute"/>'s, then the code's
/// <see cref="Application.WithOptions"/>, then the config entry of the same name, defaults filled in.
/// </summary>
/// <param name="NumReplicas">How many replicas run.</param>
/// <param name="MaxOngoingRequests">Requests one replica runs at once.</param>
/// <param name="MaxQueuedRequests">Requests that may wait for a replica; -1 = unbounded.</param>
/// <param name="UserConfig">The <c>user_config</c> as JSON text; null when unset.</param>
/// <param name="GracefulShutdownTimeout">How long a stopping replica's requests may run (<c>graceful_shutdown_timeout_s</c>).</param>
internal sealed record EffectiveOptions(int NumReplicas, int MaxOngoingRequests, int MaxQueuedRequests, string? UserConfig, TimeSpan GracefulShutdownTimeout)
{
    /// <summary>How often a stopping replica reports its remaining requests (<c>graceful_shutdown_wait_loop_s</c>).</summary>
    public TimeSpan GracefulShutdownWaitLoop { get; init; } = TimeSpan.FromSeconds(DeploymentConfig.DefaultGracefulShutdownWaitLoopS);

    /// <summary>Time between health checks of a replica (<c>health_check_period_s</c>).</summary>
    public TimeSpan HealthCheckPeriod { get; init; } = TimeSpan.FromSeconds(DeploymentConfig.DefaultHealthCheckPeriodS);

    /// <summary>How long a health check may take before it counts as failed (<c>health_check_timeout_s</c>).</summary>
    public TimeSpan HealthCheckTimeout { get; init; } = TimeSpan.FromSeconds(DeploymentConfig.DefaultHealthCheckTimeoutS);

    /// <summary>Replica start failures allowed before DEPLOY_FAILED (<c>max_constructor_retry_count</c>).</summary>
    public int MaxConstructorRetryCount { get; init; } = DeploymentConfig.DefaultMaxConstructorRetryCount;

    /// <summary>The autoscaling policy (<c>num_replicas: auto</c> or <c>autoscaling_config</c>); null for a fixed replica count.</summary>
    public Autoscaling.AutoscalingPolicy? Autoscaling { get; init; }

    /// <summary>The config's <c>target_capacity</c> the replica counts were scaled by.</summary>
    public TargetCapacity TargetCapacity { get; init; }

    /// <summary>The fewest replicas now: the policy's lower bound, or the fixed count.</summary>
    public int LowerBound => Autoscaling?.LowerBound(TargetCapacity.Percent, TargetCapacity.Rising) ?? NumReplicas;

    /// <summary>The most replicas now: the policy's upper bound, or the fixed count.</summary>
    public int UpperBound => Autoscaling?.UpperBound(TargetCapacity.Percent) ?? NumReplicas;

    /// <summary>Merges the options of <paramref name="application"/> with its config entry, if any.</summary>
    /// <param name="application">The bound deployment, with its attribute's and code's options.</param>
    /// <param name="entry">Its config entry; null when the config has none.</param>
    /// <param name="capacity">The config's <c>target_capacity</c>, which scales every replica count.</param>
    public static EffectiveOptions Resolve(Application application, DeploymentConfig? entry, TargetCapacity capacity = default)
    {
        var options = application.Deployment.Options.Merge(application.Options);
        if (entry is not null)
        {
            options = options.Merge(entry.ToDeploymentOptions());
        }
        var resolved = new EffectiveOptions(
            options.NumReplicas ?? DeploymentOptions.DefaultNumReplicas,
            options.MaxOngoingRequests ?? DeploymentOptions.DefaultMaxOngoingRequests,
            options.MaxQueuedRequests ?? DeploymentOptions.DefaultMaxQueuedRequests,
            options.UserConfig,
            Timeouts.FromSeconds(entry?.GracefulShutdownTimeoutS ?? DeploymentConfig.DefaultGracefulShutdownTimeoutS))
        {
            GracefulShutdownWaitLoop = Timeouts.FromSeconds(entry?.GracefulShutdownWaitLoopS ?? DeploymentConfig.DefaultGracefulShutdownWaitLoopS),
            HealthCheckPeriod = Timeouts.FromSeconds(entry?.HealthCheckPeriodS ?? DeploymentConfig.DefaultHealthCheckPeriodS),
            HealthCheckTimeout = Timeouts.FromSeconds(entry?.HealthCheckTimeoutS ?? DeploymentConfig.DefaultHealthCheckTimeoutS),
            MaxConstructorRetryCount = entry?.MaxConstructorRetryCount ?? DeploymentConfig.DefaultMaxConstructorRetryCount,
        };
        var policy = Control.Autoscaling.AutoscalingPolicy.Resolve(entry);
        return resolved with
        {
            Autoscaling = policy,
            TargetCapacity = capacity,
            NumReplicas = policy?.InitialTarget(capacity.Percent) ?? Control.Autoscaling.AutoscalingPolicy.AdjustForCapacity(resolved.NumReplicas, capacity.Percent),
        };
    }

    /// <summary>
    /// These requested options as a running deployment takes them: an autoscaled deployment whose policy is unchanged keeps
    /// its current count (within the new bounds); a new policy starts from its <c>initial_replicas</c> when set, as Ray.
    /// </summary>
    public EffectiveOptions ContinuingFrom(EffectiveOptions running)
    {
        if (Autoscaling is not { } policy)
        {
            return this;
        }
        var count = policy == running.Autoscaling || policy.InitialReplicas is null ? running.NumReplicas : NumReplicas;
        return this with { NumReplicas = Math.Clamp(count, LowerBound, Math.Max(LowerBound, UpperBound)) };
    }

    /// <summary>
    /// True when both user_configs are unset, or are the same JSON value: <c>{"a": 1}</c> written in code
    /// and <c>a: 1</c> in YAML do not differ, so re-applying either reconfigures nothing.
    /// </summary>
    public bool SameUserConfig(EffectiveOptions other)
    {
        if (UserConfig is null || other.UserConfig is null)
        {
            return UserConfig is null && other.UserConfig is null;
        }
        if (string.Equals(UserConfig, other.UserConfig, StringComparison.Ordinal))
        {
            return true;
        }
        using var a = JsonDocument.Parse(UserConfig);
        using var b = JsonDocument.Parse(other.UserConfig);
        return JsonElement.DeepEquals(a.RootElement, b.RootElement);
    }

    /// <summary>True when nothing differs that a running deployment would notice.</summary>
    public bool SameAs(EffectiveOptions other)
        // Every option compares by value but the user_config, whose JSON text may differ for the same value.
        => this with { UserConfig = null } == other with { UserConfig = null } && SameUserConfig(other);

    /// <summary>Parses a user_config once for every replica; the clone outlives its document.</summary>
    public static JsonElement ParseUserConfig(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}

/// <summary>
/// One deployment of a running application: its effective options, replicas and router. The controller
/// changes the options in place (replica count, request limits, user_config) under its apply lock;
/// the status API reads them at any time.
/// </summary>
internal sealed class DeploymentState
{
    private readonly object _drainingLock = new();
    private readonly List<Replica> _draining = [];
    private readonly List<StartingReplica> _starting = [];
    private EffectiveOptions _options;
    private int _status = (int)DeploymentStatus.Updating;
    private int _trigger = (int)DeploymentStatusTrigger.ConfigUpdateStarted;
    private string _message = "";

    /// <param name="applicationName">The application it belongs to.</param>
    /// <param name="application">The bound deployment.</param>
    /// <param name="name">Its name in the application.</param>
    /// <param name="options">Its effective options.</param>
    /// <param name="services">The host's services: each replica resolves its constructor's service parameters from a
    /// scope of its own, disposed when the replica stops.</param>
    public DeploymentState(string applicationName, Application application, string name, EffectiveOptions options, IServiceProvider services)
    {
        ApplicationName = applicationName;
        Services = services;
        Application = application;
        Name = name;
        _options = options;
        Router = new ReplicaRouter(name, options.MaxQueuedRequests);
        Time = services.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System;
        HandleTarget = new RouterHandleTarget(applicationName, name, Router, Time);
        Logger = (services.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger("Serve.Replicas") ?? NullLogger.Instance;
        Supervisor = new ReplicaSupervisor(this, Logger);
    }

    /// <summary>A deployment outside a graph (tests of the proxies and routes).</summary>
    public DeploymentState(string applicationName, DeploymentDefinition definition, string name, int numReplicas, int maxOngoingRequests, int maxQueuedRequests)
        : this(applicationName, new Application(definition, []), name,
            new EffectiveOptions(numReplicas, maxOngoingRequests, maxQueuedRequests, null, TimeSpan.FromSeconds(DeploymentConfig.DefaultGracefulShutdownTimeoutS)),
            DeploymentServices.None)
    {
    }

    public string ApplicationName { get; }

    /// <summary>The host's services, which replicas' constructors resolve service parameters from.</summary>
    public IServiceProvider Services { get; }

    /// <summary>The host's clock: handle-call timeouts and replica drains run on it, so tests can drive them with a fake one.</summary>
    public TimeProvider Time { get; }

    /// <summary>Where replica lifecycle events (start failures, health checks, drains) are logged.</summary>
    public ILogger Logger { get; }

    /// <summary>Health checks and replica replacement; runs once the controller deployed the application.</summary>
    public ReplicaSupervisor Supervisor { get; }

    /// <summary>
    /// Held by whoever changes the replica set (an apply's scaling, a health replacement) while it decides from the set it
    /// read: not while replicas start, which may take long.
    /// </summary>
    public SemaphoreSlim ReplicaLock { get; } = new(1, 1);

    /// <summary>The handles new replicas receive for bound children; set when the deployment first starts.</summary>
    public Func<Application, object>? ResolveChild { get; set; }

    /// <summary>The bound deployment this state runs: new replicas are created from it.</summary>
    public Application Application { get; }

    public DeploymentDefinition Definition => Application.Deployment;

    public string Name { get; }

    /// <summary>The options the running replicas have; replaced as a whole when one changes.</summary>
    public EffectiveOptions Options
    {
        get => Volatile.Read(ref _options);
        set => Volatile.Write(ref _options, value);
    }

    public int NumReplicas => Options.NumReplicas;

    public int MaxOngoingRequests => Options.MaxOngoingRequests;

    public int MaxQueuedRequests => Options.MaxQueuedRequests;

    public ReplicaRouter Router { get; }

    /// <summary>Where handles to this deployment send their calls; one per deployment, shared by every handle.</summary>
    public RouterHandleTarget HandleTarget { get; }

    public DeploymentStatus Status
    {
        get => (DeploymentStatus)Volatile.Read(ref _status);
        set => Volatile.Write(ref _status, (int)value);
    }

    /// <summary>What last changed <see cref="Status"/> (Ray's <c>status_trigger</c>).</summary>
    public DeploymentStatusTrigger StatusTrigger
    {
        get => (DeploymentStatusTrigger)Volatile.Read(ref _trigger);
        set => Volatile.Write(ref _trigger, (int)value);
    }

    public string Message
    {
        get => Volatile.Read(ref _message);
        set => Volatile.Write(ref _message, value);
    }

    /// <summary>Replicas whose constructor, user_config or first health check runs now (Ray's STARTING).</summary>
    public IReadOnlyList<StartingReplica> Starting
    {
        get
        {
            lock (_drainingLock)
            {
                return _starting.ToArray();
            }
        }
    }

    /// <summary>Replicas removed from the router that are finishing their requests before they stop.</summary>
    public IReadOnlyList<Replica> Draining
    {
        get
        {
            lock (_drainingLock)
            {
                return _draining.ToArray();
            }
        }
    }

    public void SetStatus(DeploymentStatus status, DeploymentStatusTrigger trigger, string message = "")
    {
        Message = message;
        StatusTrigger = trigger;
        Status = status;
    }

    /// <summary>
    /// Creates one replica: constructs the instance (handles to children from <paramref name="resolveChild"/>)
    /// and, when the deployment has a user_config, applies it with <see cref="IReconfigurable.ReconfigureAsync"/>
    /// before the replica is returned, so it never serves a request without its user_config.
    /// </summary>
    /// <param name="resolveChild">The handle each bound child deployment argument is replaced with.</param>
    /// <param name="index">The replica's number, for messages.</param>
    /// <param name="userConfig">The parsed user_config, or null when the deployment has none.</param>
    /// <param name="cancellationToken">Cancels a slow reconfigure.</param>
    /// <exception cref="DeployException">The constructor or the reconfigure threw, or a user_config is set on a
    /// deployment that does not implement <see cref="IReconfigurable"/>. The instance is disposed.</exception>
    public async Task<Replica> StartReplicaAsync(Func<Application, object> resolveChild, int index, JsonElement? userConfig, CancellationToken cancellationToken)
    {
        var starting = new StartingReplica($"{ApplicationName}#{Name}#{Guid.NewGuid().ToString("N")[..8]}", Time.GetUtcNow());
        lock (_drainingLock)
        {
            _starting.Add(starting);
        }
        try
        {
            return await StartReplicaCoreAsync(starting.Id, resolveChild, index, userConfig, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_drainingLock)
            {
                _starting.Remove(starting);
            }
        }
    }

    private async Task<Replica> StartReplicaCoreAsync(string id, Func<Application, object> resolveChild, int index, JsonElement? userConfig, CancellationToken cancellationToken)
    {
        object? instance = null;
        Replica replica;
        // A scope per replica: scoped services live as long as the replica and are disposed after it.
        var scope = Services.GetService(typeof(IServiceScopeFactory)) is IServiceScopeFactory scopes ? scopes.CreateAsyncScope() : (AsyncServiceScope?)null;
        try
        {
            instance = Application.CreateInstance(resolveChild, scope?.ServiceProvider ?? Services);
            replica = new Replica(id, Name, instance, MaxOngoingRequests,
                Definition.MultiplexedModels?.Invoke(instance), Definition.BatchMethods, scope, Time, Logger)
            {
                State = ReplicaState.Starting,
            };
        }
        catch (Exception ex)
        {
            // Nothing owns them yet: the instance (if made) and the scope end here.
            if (instance is not null)
            {
                await StopQuietlyAsync(new Replica("starting", Name, instance, 1, serviceScope: scope, time: Time)).ConfigureAwait(false);
            }
            else if (scope is { } created)
            {
                await created.DisposeAsync().ConfigureAwait(false);
            }
            // A missing service is a configuration error, fully said by its message; anything else keeps its stack.
            throw ex is MissingDeploymentServiceException
                ? new DeployException($"Replica {index} of deployment '{Name}' failed to start: {ex.Message}", retryable: false)
                : new DeployException($"Replica {index} of deployment '{Name}' failed to start: {ex}");
        }
        if (userConfig is { } config)
        {
            try
            {
                if (instance is not IReconfigurable reconfigurable)
                {
                    throw new DeployException(MissingReconfigure(), retryable: false);
                }
                try
                {
                    await reconfigurable.ReconfigureAsync(config, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    throw new DeployException($"Replica {index} of deployment '{Name}' failed to start: ReconfigureAsync(user_config) threw {ex}");
                }
            }
            catch
            {
                await StopQuietlyAsync(replica).ConfigureAwait(false);
                throw;
            }
        }
        if (Definition.HealthCheck is not null)
        {
            // As in Ray, a replica whose first health check fails never serves: it failed to start.
            string? failure;
            try
            {
                failure = await Supervisor.CheckAsync(replica, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Cancelled (the deployment is being stopped while this replica starts): nothing else owns it.
                await StopQuietlyAsync(replica).ConfigureAwait(false);
                throw;
            }
            if (failure is not null)
            {
                await StopQuietlyAsync(replica).ConfigureAwait(false);
                throw new DeployException($"Replica {index} of deployment '{Name}' failed its first health check: {failure}");
            }
        }
        replica.State = ReplicaState.Running;
        return replica;
    }

    /// <summary>
    /// Applies a changed user_config to a running replica, which keeps serving meanwhile (Ray's UPDATING).
    /// </summary>
    /// <exception cref="DeployException">The replica's ReconfigureAsync threw, or the deployment is not reconfigurable.</exception>
    public async Task ReconfigureAsync(Replica replica, JsonElement userConfig, CancellationToken cancellationToken)
    {
        if (replica.Instance is not IReconfigurable reconfigurable)
        {
            throw new DeployException(MissingReconfigure());
        }
        replica.State = ReplicaState.Updating;
        try
        {
            await reconfigurable.ReconfigureAsync(userConfig, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new DeployException($"Replica {replica.Id} of deployment '{Name}' failed to apply its user_config: ReconfigureAsync threw {ex}");
        }
        finally
        {
            if (replica.State == ReplicaState.Updating)
            {
                replica.State = ReplicaState.Running;
            }
        }
    }

    /// <summary>Changes max_ongoing_requests of every replica at once; waiting requests take any slot it frees.</summary>
    public void SetMaxOngoingRequests(int value)
    {
        foreach (var replica in Router.Replicas)
        {
            replica.MaxOngoingRequests = value;
        }
        Router.Refresh();
    }

    /// <summary>
    /// Scales down to <paramref name="count"/> replicas; the caller holds <see cref="ReplicaLock"/>. The replicas running the
    /// fewest requests leave the router at once and drain (the returned task ends when they stopped).
    /// </summary>
    public Task ScaleDownLocked(int count, DeploymentStatusTrigger trigger)
    {
        var replicas = Router.Replicas;
        if (count >= replicas.Count)
        {
            return Task.CompletedTask;
        }
        SetStatus(DeploymentStatus.Downscaling, trigger, $"Downscaling from {replicas.Count} to {count} replicas.");
        // The least busy leave; among equals, the newest (Ray stops the replicas that hold the least work).
        var surplus = replicas.Select((r, i) => (Replica: r, Index: i)).OrderBy(x => x.Replica.Ongoing).ThenByDescending(x => x.Index)
            .Take(replicas.Count - count).Select(x => x.Replica).ToArray();
        // Out of the router first, so the surplus takes no new request while it drains.
        Router.SetReplicas(replicas.Where(r => !surplus.Contains(r)).ToArray());
        Options = Options with { NumReplicas = count };
        return DrainAsync(surplus);
    }

    /// <summary>
    /// Scales up to <paramref name="count"/> replicas with Ray's start retries; the caller holds <see cref="ReplicaLock"/>.
    /// The new replicas join the router together once all started; if one cannot start, those started are stopped.
    /// </summary>
    /// <exception cref="DeployException">A replica failed to start more often than <c>max_constructor_retry_count</c> allows.</exception>
    public async Task ScaleUpLockedAsync(int count, DeploymentStatusTrigger trigger, CancellationToken cancellationToken)
    {
        var replicas = Router.Replicas;
        if (count <= replicas.Count)
        {
            return;
        }
        SetStatus(DeploymentStatus.Upscaling, trigger, $"Upscaling from {replicas.Count} to {count} replicas.");
        var userConfig = Options.UserConfig is { } json ? EffectiveOptions.ParseUserConfig(json) : (JsonElement?)null;
        var added = new List<Replica>(count - replicas.Count);
        try
        {
            var attempts = StartAttempts.For(Options, count - replicas.Count);
            for (var r = replicas.Count; r < count; r++)
            {
                added.Add(await Supervisor.StartWithRetriesAsync(ResolveChild!, r, userConfig, attempts, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var replica in added)
            {
                await StopQuietlyAsync(replica).ConfigureAwait(false);
            }
            throw;
        }
        // Read again: a health replacement may have changed the set while these started.
        Router.SetReplicas([.. Router.Replicas, .. added]);
        Options = Options with { NumReplicas = count };
    }

    /// <summary>
    /// Lets replicas already out of the router finish their requests (up to <c>graceful_shutdown_timeout_s</c>), then
    /// stops them; they show as STOPPING meanwhile. Requests still running at the timeout are answered UNAVAILABLE.
    /// </summary>
    public Task DrainAsync(IReadOnlyList<Replica> replicas)
    {
        lock (_drainingLock)
        {
            foreach (var replica in replicas)
            {
                // STOPPING from the moment the status lists it as draining, not once its stop got under way.
                replica.State = ReplicaState.Stopping;
            }
            _draining.AddRange(replicas);
        }
        var options = Options;
        var stops = new Task[replicas.Count];
        for (var i = 0; i < stops.Length; i++)
        {
            stops[i] = StopOneAsync(replicas[i], options);
        }
        return Task.WhenAll(stops);

        async Task StopOneAsync(Replica replica, EffectiveOptions options)
        {
            try
            {
                await replica.StopAsync(options.GracefulShutdownTimeout, CancellationToken.None, options.GracefulShutdownWaitLoop).ConfigureAwait(false);
            }
            finally
            {
                lock (_drainingLock)
                {
                    _draining.Remove(replica);
                }
            }
        }
    }

    // Ray: "user_config specified but deployment ... missing reconfigure method".
    private string MissingReconfigure()
        => $"Deployment '{Name}' has a user_config, but its class {Definition.TypeName} does not implement Serve.IReconfigurable. "
           + "Implement ReconfigureAsync(JsonElement userConfig, CancellationToken cancellationToken) to receive it, or remove the user_config.";

    /// <summary>Disposes a replica that never served; its dispose failing must not hide why it was stopped.</summary>
    internal static async Task StopQuietlyAsync(Replica replica)
    {
        try
        {
            await replica.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The start failure is what the caller reports.
        }
    }
}

/// <summary>A replica being constructed: listed as STARTING before its instance exists.</summary>
/// <param name="Id">The id the replica will have.</param>
/// <param name="StartTime">When its start began.</param>
internal sealed record StartingReplica(string Id, DateTimeOffset StartTime);

/// <summary>
/// The config's <c>target_capacity</c> (percent of every deployment's replicas; null = 100) and whether it is rising, which
/// makes an autoscaled deployment's lower bound its <c>initial_replicas</c> (Ray's <c>target_capacity_direction</c>).
/// </summary>
/// <param name="Percent">0 to 100; null when the config sets none.</param>
/// <param name="Rising">True while the capacity goes up (Ray's UP direction).</param>
internal readonly record struct TargetCapacity(double? Percent, bool Rising)
{
    /// <summary>
    /// Ray's <c>calculate_target_capacity_direction</c>: the direction after going from <paramref name="previous"/> to
    /// <paramref name="next"/>: up when it rises, down when it falls or first appears, none without one, else unchanged.
    /// </summary>
    public static TargetCapacity Next(TargetCapacity previous, double? next)
    {
        if (next is not { } value)
        {
            return default;
        }
        if (previous.Percent is not { } old)
        {
            return new TargetCapacity(value, false);
        }
        return new TargetCapacity(value, value > old || (value == old && previous.Rising));
    }
}
