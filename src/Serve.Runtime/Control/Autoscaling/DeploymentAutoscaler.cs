using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Serve.Control.Autoscaling;

/// <summary>One scaling decision the autoscaler applied, for the status.</summary>
/// <param name="Time">When it was applied.</param>
/// <param name="From">The replica count before.</param>
/// <param name="To">The replica count after.</param>
/// <param name="Load">The aggregated ongoing plus queued requests it was decided on.</param>
internal sealed record AutoscalingDecision(DateTimeOffset Time, int From, int To, double Load);

/// <summary>
/// Runs Ray's autoscaling for one deployment: every control round (0.1 s, Ray's <c>CONTROL_LOOP_INTERVAL_S</c>) it
/// samples the deployment's ongoing and queued requests; every <c>metrics_interval_s</c> it takes a new reading of them,
/// aggregated over <c>look_back_period_s</c>; <see cref="AutoscalingDecider"/> turns readings into a replica count,
/// which is applied with the same scale-up (start retries) and scale-down (drain) as a config change. A request held by
/// a deployment scaled to zero wakes it at once (<see cref="Wake"/>).
/// </summary>
internal sealed partial class DeploymentAutoscaler
{
    /// <summary>Ray's control loop interval: how often load is sampled and decisions are taken.</summary>
    public static readonly TimeSpan ControlInterval = TimeSpan.FromMilliseconds(100);

    private const int DecisionsKept = 20;

    private readonly DeploymentState _deployment;
    private readonly ILogger _logger;
    private readonly AutoscalingDecider _decider = new();
    private readonly Queue<(DateTimeOffset Time, double Load)> _samples = new();
    private readonly object _lock = new();
    private readonly Queue<AutoscalingDecision> _decisions = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _lastReadingTime = DateTimeOffset.MinValue;
    private double _reading;
    private Task? _wait;

    public DeploymentAutoscaler(DeploymentState deployment, ILogger logger)
    {
        _deployment = deployment;
        _logger = logger;
    }

    /// <summary>The last reading decisions were taken on (aggregated ongoing plus queued requests).</summary>
    public double LastReading
    {
        get
        {
            lock (_lock)
            {
                return _reading;
            }
        }
    }

    /// <summary>Which way the decision being held for its delay goes, since when, and to how many replicas.</summary>
    public (ScaleDirection Direction, DateTimeOffset Since, int Target) Pending
    {
        get
        {
            lock (_lock)
            {
                var (direction, since) = _decider.Pending;
                return (direction, since, _decider.PendingTarget);
            }
        }
    }

    /// <summary>The decisions applied most recently, oldest first.</summary>
    public IReadOnlyList<AutoscalingDecision> Decisions
    {
        get
        {
            lock (_lock)
            {
                return _decisions.ToArray();
            }
        }
    }

    /// <summary>A request waits with no replica to take it: decide now rather than at the next round.</summary>
    public void Wake()
    {
        TaskCompletionSource wake;
        lock (_lock)
        {
            wake = _wake;
        }
        wake.TrySetResult();
    }

    /// <summary>Samples, decides and scales until <paramref name="stop"/>; idle (no timer) while the deployment does not autoscale.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Task woken;
            lock (_lock)
            {
                if (_wake.Task.IsCompleted)
                {
                    _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                woken = _wake.Task;
            }
            if (_deployment.Options.Autoscaling is null)
            {
                // Autoscaling was turned off by a config update: the loop sleeps, with no timer, until one turns it on
                // again (ReplicaSupervisor.Refresh wakes it), so that no off-and-on sequence can leave it stopped.
                await Task.WhenAny(woken, Task.Delay(Timeout.InfiniteTimeSpan, stop)).ConfigureAwait(false);
                continue;
            }
            try
            {
                await StepAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A failed scale-up (start retries exhausted) is reported in the status; the loop goes on and tries again.
                LogStepFailed(_deployment.ApplicationName, _deployment.Name, ex);
            }
            var wait = Task.WhenAny(woken, Task.Delay(ControlInterval, _deployment.Time, stop));
            Volatile.Write(ref _wait, wait);
            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// True while the loop waits for a round that is not due yet (neither woken nor reached on the deployment's clock):
    /// until then only <see cref="Wake"/> runs one. Tests on a fake clock wait for it before they check what a wake does.
    /// </summary>
    internal bool Idle => Volatile.Read(ref _wait) is { IsCompleted: false };

    /// <summary>
    /// One control round: a load sample, a new reading when <c>metrics_interval_s</c> passed (or the deployment has no
    /// replica), a decision, and the scaling it asks for. Returns the replica count decided.
    /// </summary>
    internal async Task<int> StepAsync(CancellationToken cancellationToken)
    {
        var options = _deployment.Options;
        if (options.Autoscaling is not { } policy)
        {
            return options.NumReplicas;
        }
        var now = _deployment.Time.GetUtcNow();
        var replicas = _deployment.Router.Replicas;
        double load = _deployment.Router.Queued;
        foreach (var replica in replicas)
        {
            load += replica.Ongoing;
        }
        double reading;
        int decision;
        lock (_lock)
        {
            _samples.Enqueue((now, load));
            while (_samples.Count > 0 && now - _samples.Peek().Time > policy.LookBackPeriod)
            {
                _samples.Dequeue();
            }
            // With no replica, the only load is the requests held for one: read it now, not a metrics interval later.
            if (replicas.Count == 0 || now - _lastReadingTime >= policy.MetricsInterval)
            {
                _reading = Aggregate(policy.Aggregation);
                _lastReadingTime = now;
            }
            reading = replicas.Count == 0 ? load : _reading;
            decision = _decider.Decide(policy, options.NumReplicas, replicas.Count, reading, options.LowerBound, options.UpperBound, now);
        }

        var current = options.NumReplicas;
        if (decision != current)
        {
            await ScaleAsync(current, decision, reading, cancellationToken).ConfigureAwait(false);
        }
        return decision;
    }

    private double Aggregate(LoadAggregation aggregation)
    {
        if (_samples.Count == 0)
        {
            return 0;
        }
        return aggregation switch
        {
            LoadAggregation.Max => _samples.Max(s => s.Load),
            LoadAggregation.Min => _samples.Min(s => s.Load),
            _ => _samples.Average(s => s.Load),
        };
    }

    private async Task ScaleAsync(int from, int to, double load, CancellationToken cancellationToken)
    {
        var deployment = _deployment;
        await deployment.ReplicaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A config update may have changed the target while this waited for the lock.
            if (deployment.Options.NumReplicas != from || deployment.Options.Autoscaling is null)
            {
                return;
            }
            // Or left the count as it was with other bounds (a lower max_replicas, a new target_capacity).
            var options = deployment.Options;
            to = Math.Clamp(to, options.LowerBound, Math.Max(options.LowerBound, options.UpperBound));
            if (to == from)
            {
                return;
            }
            LogScaling(deployment.ApplicationName, deployment.Name, from, to, load.ToString("0.##", CultureInfo.InvariantCulture));
            DeploymentStatusTrigger completed;
            if (to > from)
            {
                try
                {
                    await deployment.ScaleUpLockedAsync(to, DeploymentStatusTrigger.Autoscaling, cancellationToken).ConfigureAwait(false);
                }
                catch (DeployException ex)
                {
                    deployment.SetStatus(DeploymentStatus.Unhealthy, DeploymentStatusTrigger.ReplicaStartupFailed, ex.Message);
                    throw;
                }
                completed = DeploymentStatusTrigger.UpscaleCompleted;
            }
            else
            {
                deployment.Supervisor.TrackDrain(deployment.ScaleDownLocked(to, DeploymentStatusTrigger.Autoscaling));
                completed = DeploymentStatusTrigger.DownscaleCompleted;
            }
            deployment.Options = deployment.Options with { NumReplicas = to };
            deployment.SetStatus(DeploymentStatus.Healthy, completed);
            lock (_lock)
            {
                _decisions.Enqueue(new AutoscalingDecision(deployment.Time.GetUtcNow(), from, to, load));
                while (_decisions.Count > DecisionsKept)
                {
                    _decisions.Dequeue();
                }
            }
        }
        finally
        {
            deployment.ReplicaLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "App '{App}': autoscaling deployment '{Deployment}' from {From} to {To} replicas (ongoing and queued requests: {Load}).")]
    private partial void LogScaling(string app, string deployment, int from, int to, string load);

    [LoggerMessage(Level = LogLevel.Warning, Message = "App '{App}': an autoscaling round of deployment '{Deployment}' failed; the next round tries again.")]
    private partial void LogStepFailed(string app, string deployment, Exception exception);
}
