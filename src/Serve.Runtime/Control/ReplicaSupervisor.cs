using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serve.Replicas;

namespace Serve.Control;

/// <summary>
/// Keeps one deployment's replicas alive once it is deployed, as Ray's controller does: calls the deployment's health
/// check on every replica each <c>health_check_period_s</c>; a replica failing it
/// <see cref="UnhealthyThreshold"/> times in a row is taken out of routing, drained and replaced, the deployment
/// reported UNHEALTHY (<c>HEALTH_CHECK_FAILED</c>) until its replacement runs. Also starts replicas with Ray's
/// constructor retries (<c>max_constructor_retry_count</c>).
/// </summary>
#pragma warning disable CA1001 // The source is disposed by StopAsync, which every deployment's stop calls.
internal sealed partial class ReplicaSupervisor
#pragma warning restore CA1001
{
    /// <summary>Ray's <c>REPLICA_HEALTH_CHECK_UNHEALTHY_THRESHOLD</c>: failed checks in a row that make a replica unhealthy.</summary>
    public const int UnhealthyThreshold = 3;

    /// <summary>Ray's <c>MAX_PER_REPLICA_RETRY_COUNT</c>: a deployment of N replicas fails after at most 3·N start failures.</summary>
    public const int MaxRetriesPerReplica = 3;

    /// <summary>Ray's message while a replica's health check fails.</summary>
    public const string UnhealthyMessage = "A replica's health check failed. This deployment will be UNHEALTHY until the replica recovers or a new deploy happens.";

    private static readonly TimeSpan s_firstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_maxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly DeploymentState _deployment;
    private readonly object _lock = new();
    // Set while the loop runs; the type owns it only then, and disposes it when the loop ends.
#pragma warning disable CA2213
    private CancellationTokenSource? _stop;
#pragma warning restore CA2213
    private bool _stopped;
    private Task _loop = Task.CompletedTask;
    private Task _autoscaling = Task.CompletedTask;
    private Action<Task>? _track;
    // Completed, and replaced, when health_check_period_s changes in place: the loop's wait is measured again.
    private TaskCompletionSource _periodChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly ILogger _logger;

    public ReplicaSupervisor(DeploymentState deployment, ILogger logger)
    {
        _deployment = deployment;
        _logger = logger;
        Autoscaler = new Autoscaling.DeploymentAutoscaler(deployment, logger);
    }

    /// <summary>
    /// Starts the health-check loop (when the deployment has a health check). <paramref name="track"/> receives the drains
    /// of replaced replicas, so that whoever stops the host can wait for them.
    /// </summary>
    public void Start(Action<Task> track)
    {
        lock (_lock)
        {
            if (_stop is not null || _stopped)
            {
                return;
            }
            _track = track;
            _stop = new CancellationTokenSource();
            if (_deployment.Definition.HealthCheck is not null)
            {
                _loop = RunAsync(_stop.Token);
            }
        }
        Refresh();
    }

    /// <summary>The deployment's autoscaler; it runs while the deployment has an autoscaling policy.</summary>
    public Autoscaling.DeploymentAutoscaler Autoscaler { get; }

    /// <summary>
    /// Starts the autoscaler if the deployment autoscales and it is not running (a config update may have just turned
    /// autoscaling on), and lets the router hold requests while the deployment has no replica.
    /// </summary>
    public void Refresh()
    {
        lock (_lock)
        {
            var autoscales = _deployment.Options.Autoscaling is not null;
            // Scaled to zero, a request waits for the replica it wakes instead of failing UNAVAILABLE.
            _deployment.Router.HoldWhenEmpty = autoscales ? Autoscaler.Wake : null;
            if (_stop is null || _stopped || !autoscales)
            {
                return;
            }
            if (_autoscaling.IsCompleted)
            {
                // Started the first time the deployment autoscales; it then idles while autoscaling is off.
                _autoscaling = Autoscaler.RunAsync(_stop.Token);
            }
            else
            {
                // A loop idling since autoscaling was turned off resumes now.
                Autoscaler.Wake();
            }
        }
    }

    /// <summary>Hands a drain to whoever waits for the host's background work.</summary>
    public void TrackDrain(Task drain) => (_track ?? (static _ => { }))(drain);

    /// <summary>Ends the loop (the deployment is being stopped) and waits for it; a replacement under way is abandoned.</summary>
    public async Task StopAsync()
    {
        CancellationTokenSource? stop;
        Task loop;
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            (stop, _stop) = (_stop, null);
            loop = Task.WhenAll(_loop, _autoscaling);
        }
        if (stop is null)
        {
            return;
        }
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop's own cancellation.
        }
        finally
        {
            stop.Dispose();
        }
    }

    /// <summary>
    /// Says that <c>health_check_period_s</c> changed in place: the loop schedules its next round from the last one with
    /// the new period, as Ray's controller does, instead of first finishing a wait begun with the old one (which may be
    /// far longer).
    /// </summary>
    public void PeriodChanged()
        => Interlocked.Exchange(ref _periodChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task RunAsync(CancellationToken stop)
    {
        var time = _deployment.Time;
        // As in Ray, a period counts from the start of the last check (the replica's start for the first): a round that
        // took longer than the period is followed by the next at once.
        var last = time.GetUtcNow();
        while (true)
        {
            // Ray spreads checks with ±10% jitter, so that replicas started together are not all checked at once.
            var jitter = 0.9 + (Random.Shared.NextDouble() * 0.2);
            while (true)
            {
                stop.ThrowIfCancellationRequested();
                var changed = Volatile.Read(ref _periodChanged).Task;
                var wait = last + (_deployment.Options.HealthCheckPeriod * jitter) - time.GetUtcNow();
                if (wait <= TimeSpan.Zero)
                {
                    break;
                }
                using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
                var due = Task.Delay(wait < Timeouts.Longest ? wait : Timeouts.Longest, time, waiting.Token);
                if (await Task.WhenAny(due, changed).ConfigureAwait(false) == due)
                {
                    // Throws when the loop was stopped.
                    await due.ConfigureAwait(false);
                    break;
                }
                // The period changed: the wait is measured again from the last check.
                await waiting.CancelAsync().ConfigureAwait(false);
            }
            last = time.GetUtcNow();
            try
            {
                await CheckAllAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // The loop must outlive anything one round does wrong.
                LogLoopFailed(_deployment.ApplicationName, _deployment.Name, ex);
            }
        }
    }

    /// <summary>One round: checks every routed replica side by side, and replaces those that failed too often.</summary>
    internal async Task CheckAllAsync(CancellationToken cancellationToken)
    {
        var replicas = _deployment.Router.Replicas;
        if (replicas.Count == 0)
        {
            return;
        }
        var checks = new Task<string?>[replicas.Count];
        for (var i = 0; i < checks.Length; i++)
        {
            checks[i] = CheckAsync(replicas[i], cancellationToken);
        }
        await Task.WhenAll(checks).ConfigureAwait(false);
        List<Replica>? unhealthy = null;
        for (var i = 0; i < checks.Length; i++)
        {
            var replica = replicas[i];
            if (checks[i].Result is not { } failure)
            {
                if (replica.HealthCheckFailures > 0)
                {
                    LogPassedAgain(replica.Id, replica.HealthCheckFailures);
                    replica.HealthCheckFailures = 0;
                }
                continue;
            }
            var failures = ++replica.HealthCheckFailures;
            LogCheckFailed(replica.Id, failures, failure);
            if (failures >= UnhealthyThreshold)
            {
                (unhealthy ??= []).Add(replica);
            }
        }
        if (unhealthy is not null)
        {
            await ReplaceAsync(unhealthy, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Calls the health check of <paramref name="replica"/> within <c>health_check_timeout_s</c>; null when it passed,
    /// else what went wrong. It runs off the caller's thread, so that a check blocking synchronously still times out.
    /// </summary>
    public async Task<string?> CheckAsync(Replica replica, CancellationToken cancellationToken)
    {
        var check = _deployment.Definition.HealthCheck!;
        var timeout = _deployment.Options.HealthCheckTimeout;
        using var timeUp = new CancellationTokenSource(timeout, _deployment.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeUp.Token, cancellationToken);
        var token = linked.Token;
        var running = Task.Run(() => check(replica.Instance, token).AsTask(), CancellationToken.None);
        try
        {
            await running.WaitAsync(token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeUp.IsCancellationRequested)
        {
            // Observed later so that a late failure of the abandoned check is not reported as unobserved.
            _ = running.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return string.Create(CultureInfo.InvariantCulture, $"no response within health_check_timeout_s={timeout.TotalSeconds:0.###}s");
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    /// <summary>
    /// Takes the unhealthy replicas out of routing and drains them, then starts as many new ones (retrying until one
    /// starts or the deployment stops) and routes to them. The replica lock is held only while the set changes: a config
    /// update may run meanwhile, and the new replicas are added only up to the count it wants.
    /// </summary>
    private async Task ReplaceAsync(List<Replica> unhealthy, CancellationToken cancellationToken)
    {
        await _deployment.ReplicaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        List<Replica> removed;
        try
        {
            var current = _deployment.Router.Replicas;
            removed = unhealthy.Where(r => current.Contains(r)).ToList();
            if (removed.Count == 0)
            {
                return;
            }
            _deployment.Router.SetReplicas(current.Where(r => !removed.Contains(r)).ToArray());
            _deployment.SetStatus(DeploymentStatus.Unhealthy, DeploymentStatusTrigger.HealthCheckFailed, UnhealthyMessage);
        }
        finally
        {
            _deployment.ReplicaLock.Release();
        }
        foreach (var replica in removed)
        {
            LogReplacing(replica.Id, UnhealthyThreshold);
        }
        TrackDrain(_deployment.DrainAsync(removed));

        var userConfig = _deployment.Options.UserConfig is { } json ? EffectiveOptions.ParseUserConfig(json) : (JsonElement?)null;
        var started = new List<Replica>(removed.Count);
        try
        {
            for (var i = 0; i < removed.Count; i++)
            {
                started.Add(await StartWithRetriesAsync(_deployment.ResolveChild!, i, userConfig, StartAttempts.Unlimited(), cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (var replica in started)
            {
                await DeploymentState.StopQuietlyAsync(replica).ConfigureAwait(false);
            }
            throw;
        }

        try
        {
            await _deployment.ReplicaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The deployment stopped while the new replicas waited to join it: they never will.
            foreach (var replica in started)
            {
                await DeploymentState.StopQuietlyAsync(replica).ConfigureAwait(false);
            }
            throw;
        }
        try
        {
            var current = _deployment.Router.Replicas;
            var room = Math.Max(0, _deployment.NumReplicas - current.Count);
            var keep = started.Take(room).ToArray();
            _deployment.Router.SetReplicas([.. current, .. keep]);
            foreach (var extra in started.Skip(room))
            {
                // A config update scaled the deployment down meanwhile.
                await DeploymentState.StopQuietlyAsync(extra).ConfigureAwait(false);
            }
            if (_deployment.Router.Replicas.Count >= _deployment.NumReplicas && _deployment.Status == DeploymentStatus.Unhealthy)
            {
                // Ray: UNHEALTHY → HEALTHY once the replica recovered, with no particular trigger.
                _deployment.SetStatus(DeploymentStatus.Healthy, DeploymentStatusTrigger.Unspecified);
            }
        }
        finally
        {
            _deployment.ReplicaLock.Release();
        }
    }

    /// <summary>
    /// Starts one replica, retrying failed starts (constructor, user_config, first health check) with a growing pause
    /// while <paramref name="attempts"/> allows; then DEPLOY_FAILED with Ray's message and the last error.
    /// </summary>
    public async Task<Replica> StartWithRetriesAsync(Func<Application, object> resolveChild, int index, JsonElement? userConfig, StartAttempts attempts,
        CancellationToken cancellationToken)
    {
        var delay = s_firstRetryDelay;
        while (true)
        {
            try
            {
                var replica = await _deployment.StartReplicaAsync(resolveChild, index, userConfig, cancellationToken).ConfigureAwait(false);
                attempts.Started();
                return replica;
            }
            catch (DeployException ex) when (ex.Retryable)
            {
                var left = attempts.Failed();
                if (left <= 0)
                {
                    throw new DeployException(
                        $"The deployment failed to start {attempts.Failures} times in a row. This may be due to a problem with its constructor or initial health check failing. "
                        + $"See controller logs for details. Error:{Environment.NewLine}{ex.Message}");
                }
                LogStartRetry(_deployment.ApplicationName, _deployment.Name, left == int.MaxValue ? "" : $" {left} more time(s)", ex.Message);
            }
            await Task.Delay(delay, _deployment.Time, cancellationToken).ConfigureAwait(false);
            delay = delay * 2 > s_maxRetryDelay ? s_maxRetryDelay : delay * 2;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check for replica '{Replica}' failed ({Failures} in a row): {Failure}")]
    private partial void LogCheckFailed(string replica, int failures, string failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica '{Replica}' passed the health check after {Failures} consecutive failures.")]
    private partial void LogPassedAgain(string replica, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica '{Replica}' failed the health check {Threshold} times in a row, marking it unhealthy: it is taken out of routing, stopped and replaced.")]
    private partial void LogReplacing(string replica, int threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App '{App}': a replica of deployment '{Deployment}' failed to start. Retrying{Left}. Error: {Error}")]
    private partial void LogStartRetry(string app, string deployment, string left, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "App '{App}': the health-check loop of deployment '{Deployment}' failed a round.")]
    private partial void LogLoopFailed(string app, string deployment, Exception exception);
}

/// <summary>
/// How many replica start failures a deployment may have before it is DEPLOY_FAILED: Ray's
/// <c>min(max_constructor_retry_count, 3 × replicas)</c>, and no limit once one of its replicas started.
/// </summary>
internal sealed class StartAttempts
{
    private readonly int _threshold;
    private int _failures;
    private bool _anyStarted;

    private StartAttempts(int threshold) => _threshold = threshold;

    /// <summary>The budget of a deployment starting <paramref name="replicas"/> replicas with <paramref name="options"/>.</summary>
    public static StartAttempts For(EffectiveOptions options, int replicas)
        => new((int)Math.Min(options.MaxConstructorRetryCount, (long)ReplicaSupervisor.MaxRetriesPerReplica * Math.Max(1, replicas)));

    /// <summary>Replacing a replica of a running deployment: retried until it starts.</summary>
    public static StartAttempts Unlimited() => new(int.MaxValue) { _anyStarted = true };

    /// <summary>Failures so far.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Counts a failure; returns how many more are allowed (<see cref="int.MaxValue"/> when unbounded).</summary>
    public int Failed()
    {
        var failures = Interlocked.Increment(ref _failures);
        return Volatile.Read(ref _anyStarted) ? int.MaxValue : _threshold - failures;
    }

    /// <summary>A replica started: from now on failures are retried without limit, as in Ray.</summary>
    public void Started() => Volatile.Write(ref _anyStarted, true);
}
