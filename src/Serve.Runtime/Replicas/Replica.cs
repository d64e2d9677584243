using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serve.Multiplexing;

namespace Serve.Replicas;

/// <summary>Replica states, named as Ray Serve's <c>serve status</c> prints them.</summary>
internal enum ReplicaState
{
    Starting,
    Running,
    /// <summary>Running, while its <c>user_config</c> is being applied (Ray's UPDATING).</summary>
    Updating,
    Stopping,
    Stopped,
}

/// <summary>
/// One running copy of a deployment: the user's instance plus the count of requests it is
/// running, which the router reads to choose replicas and to enforce <c>max_ongoing_requests</c>.
/// </summary>
// CA1001: the one disposable field is a CancellationTokenSource without a timer, which holds nothing to release, and
// callers read its token after the replica stopped.
#pragma warning disable CA1001
internal sealed partial class Replica
#pragma warning restore CA1001
{
    private int _ongoing;
    private int _maxOngoingRequests;
    private int _state;

    private readonly IReadOnlyList<Batching.BatchMethodDefinition> _batchMethods;
    // The DI scope the instance's services came from: disposed after the instance, which may still use them.
    private readonly IAsyncDisposable? _serviceScope;
    // The host's clock: the drain timeout runs on it, so tests can drive it.
    private readonly TimeProvider _time;
    // Completed when the last running request returns its slot after StopAsync began.
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Cancelled when the replica stops with requests still running (the drain timed out): their callers stop waiting.
    private readonly CancellationTokenSource _abandoned = new();
    private int _healthCheckFailures;
    private readonly ILogger _logger;

    public Replica(string id, string deploymentName, object instance, int maxOngoingRequests, IMultiplexedModelSet? models = null,
        IReadOnlyList<Batching.BatchMethodDefinition>? batchMethods = null, IAsyncDisposable? serviceScope = null, TimeProvider? time = null,
        ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        Models = models;
        _serviceScope = serviceScope;
        _time = time ?? TimeProvider.System;
        _batchMethods = batchMethods ?? [];
        Id = id;
        DeploymentName = deploymentName;
        Instance = instance;
        _maxOngoingRequests = maxOngoingRequests;
        _state = (int)ReplicaState.Running;
        StartTime = DateTimeOffset.UtcNow;
    }

    /// <summary>Unique replica id, e.g. <c>app1#GrpcDeployment#3f9a1c</c>.</summary>
    public string Id { get; }

    public string DeploymentName { get; }

    /// <summary>The user's deployment instance; generated invokers cast it back to its class.</summary>
    public object Instance { get; }

    /// <summary>When the replica was created (Ray's <c>start_time_s</c>).</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>
    /// Requests this replica runs at once. The controller may change it while requests run: a lower
    /// limit refuses new slots until enough running requests finish; nothing running is interrupted.
    /// </summary>
    public int MaxOngoingRequests
    {
        get => Volatile.Read(ref _maxOngoingRequests);
        set => Volatile.Write(ref _maxOngoingRequests, value);
    }

    /// <summary>The replica's multiplexed models, for deployments with a [Multiplexed] loader.</summary>
    public IMultiplexedModelSet? Models { get; }

    /// <summary>True when a slot is free now (a hint: <see cref="TryAcquire"/> decides).</summary>
    public bool HasCapacity => Ongoing < MaxOngoingRequests;

    public ReplicaState State
    {
        get => (ReplicaState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    /// <summary>True once <see cref="StopAsync"/> began: the replica takes no new request.</summary>
    public bool IsStopping => Volatile.Read(ref _state) >= (int)ReplicaState.Stopping;

    /// <summary>Requests running on this replica now.</summary>
    public int Ongoing => Volatile.Read(ref _ongoing);

    /// <summary>
    /// Cancelled when the replica stopped while requests still ran on it (they outlived <c>graceful_shutdown_timeout_s</c>):
    /// their callers are answered UNAVAILABLE instead of waiting for a method that may never return.
    /// </summary>
    public CancellationToken Abandoned => _abandoned.Token;

    /// <summary>What callers of an abandoned request are told.</summary>
    public string AbandonedMessage => $"Replica '{Id}' of deployment '{DeploymentName}' was stopped before the request finished; retry it.";

    /// <summary>
    /// Makes <paramref name="context"/> the current request's, run by this replica: its log lines name the replica from now on.
    /// </summary>
    public void Enter(ServeRequestContext context)
    {
        context.AssignReplica(DeploymentName, Id);
        ServeRequestContext.SetCurrent(context);
    }

    /// <summary>Health checks failed in a row (reset by one that passes); the controller reads and writes it.</summary>
    public int HealthCheckFailures
    {
        get => Volatile.Read(ref _healthCheckFailures);
        set => Volatile.Write(ref _healthCheckFailures, value);
    }

    /// <summary>Takes a slot if one is free. Lock-free: the router calls it on every request.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _ongoing);
        while (current < MaxOngoingRequests)
        {
            var seen = Interlocked.CompareExchange(ref _ongoing, current + 1, current);
            if (seen == current)
            {
                // A router may still hold this replica in its snapshot after the controller removed it.
                // The interlocked increment above and the exchange in StopAsync order the two reads:
                // either this sees Stopping and backs out, or StopAsync sees the slot and waits for it.
                if (IsStopping)
                {
                    Release();
                    return false;
                }
                return true;
            }
            current = seen;
        }
        return false;
    }

    /// <summary>Gives a slot back; the last one back ends a stopping replica's drain.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _ongoing) == 0 && IsStopping)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Takes no new request from now on, waits up to <paramref name="drainTimeout"/> for the running
    /// ones (saying every <paramref name="waitLoop"/> how many remain), then disposes the user's instance.
    /// Requests still running then are abandoned: their callers get UNAVAILABLE (<see cref="Abandoned"/>).
    /// </summary>
    public async ValueTask StopAsync(TimeSpan drainTimeout, CancellationToken cancellationToken, TimeSpan? waitLoop = null)
    {
        Interlocked.Exchange(ref _state, (int)ReplicaState.Stopping);
        // Woken by the last slot coming back (Release), not by polling: a drain then ends on a fake clock too.
        if (Ongoing > 0 && drainTimeout > TimeSpan.Zero && !cancellationToken.IsCancellationRequested)
        {
            var unbounded = drainTimeout.TotalMilliseconds >= int.MaxValue - 1;
            var deadline = unbounded ? DateTimeOffset.MaxValue : _time.GetUtcNow() + drainTimeout;
            using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            while (true)
            {
                var remaining = unbounded ? Timeout.InfiniteTimeSpan : deadline - _time.GetUtcNow();
                if (!unbounded && remaining <= TimeSpan.Zero)
                {
                    break;
                }
                var step = waitLoop is { } loop && loop > TimeSpan.Zero && (unbounded || loop < remaining) ? loop : remaining;
                var timeUp = Task.Delay(step, _time, stopWaiting.Token);
                if (await Task.WhenAny(_drained.Task, timeUp).ConfigureAwait(false) == _drained.Task
                    || cancellationToken.IsCancellationRequested || Ongoing == 0 || step == remaining)
                {
                    break;
                }
                // Ray's graceful_shutdown_wait_loop_s: the replica says, each period, what it still waits for.
                LogWaiting(Id, step.TotalSeconds, Ongoing);
            }
            stopWaiting.Cancel();
        }
        if (Ongoing > 0)
        {
            // The drain timed out (or there was none): whoever waits for these requests gets UNAVAILABLE now.
            if (drainTimeout > TimeSpan.Zero)
            {
                LogForceStopped(Id, Ongoing);
            }
            _abandoned.Cancel();
        }
        try
        {
            // Calls still waiting for a batch (past the drain timeout) fail now; nothing runs them after the instance is disposed.
            await BatchLimits.StopQueuesAsync(_batchMethods, Instance).ConfigureAwait(false);
            if (Models is IAsyncDisposable models && !ReferenceEquals(models, Instance))
            {
                await models.DisposeAsync().ConfigureAwait(false);
            }
            switch (Instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        finally
        {
            // Also after a Dispose that throws (the deployment's bug): the scope's own services still end.
            try
            {
                if (_serviceScope is not null)
                {
                    await _serviceScope.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                State = ReplicaState.Stopped;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica '{Replica}': waiting for an additional {Seconds}s to shut down because there are {Ongoing} ongoing requests.")]
    private partial void LogWaiting(string replica, double seconds, int ongoing);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica '{Replica}' did not shut down after its grace period (graceful_shutdown_timeout_s); stopping it with {Ongoing} request(s) still running, whose callers get UNAVAILABLE.")]
    private partial void LogForceStopped(string replica, int ongoing);
}
