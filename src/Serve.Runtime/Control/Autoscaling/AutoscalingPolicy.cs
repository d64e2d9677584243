using Serve.Config;

namespace Serve.Control.Autoscaling;

/// <summary>How the load samples of the look-back window are combined (<c>aggregation_function</c>).</summary>
internal enum LoadAggregation
{
    Mean,
    Max,
    Min,
}

/// <summary>
/// A deployment's autoscaling settings with every default filled in (<c>autoscaling_config</c>, or
/// <c>num_replicas: auto</c>), and Ray's default policy (<c>replica_queue_length_autoscaling_policy</c>) over them.
/// Pure: the delay bookkeeping lives in <see cref="AutoscalingDecider"/>, the clock and replicas in
/// <see cref="DeploymentAutoscaler"/>.
/// </summary>
internal sealed record AutoscalingPolicy(
    int MinReplicas,
    int MaxReplicas,
    int? InitialReplicas,
    double TargetOngoingRequests,
    TimeSpan MetricsInterval,
    TimeSpan LookBackPeriod,
    double UpscalingFactor,
    double DownscalingFactor,
    TimeSpan UpscaleDelay,
    TimeSpan DownscaleDelay,
    TimeSpan? DownscaleToZeroDelay,
    LoadAggregation Aggregation,
    AutoscalingConfig Source)
{
    /// <summary>The policy of a config entry; null when it neither says <c>num_replicas: auto</c> nor has an <c>autoscaling_config</c>.</summary>
    public static AutoscalingPolicy? Resolve(DeploymentConfig? entry)
    {
        if (entry is null || (!entry.NumReplicasAuto && entry.AutoscalingConfig is null))
        {
            return null;
        }
        var c = entry.AutoscalingConfig ?? new AutoscalingConfig();
        // num_replicas: auto is AutoscalingConfig.default() (max 100) under the keys set; a bare autoscaling_config keeps max 1.
        var max = c.MaxReplicas ?? (entry.NumReplicasAuto ? AutoscalingConfig.AutoMaxReplicas : AutoscalingConfig.DefaultMaxReplicas);
        var smoothing = c.SmoothingFactor ?? 1;
        return new AutoscalingPolicy(
            c.MinReplicas ?? AutoscalingConfig.DefaultMinReplicas,
            max,
            c.InitialReplicas,
            c.TargetOngoingRequests ?? AutoscalingConfig.DefaultTargetOngoingRequests,
            TimeSpan.FromSeconds(c.MetricsIntervalS ?? AutoscalingConfig.DefaultMetricsIntervalS),
            TimeSpan.FromSeconds(c.LookBackPeriodS ?? AutoscalingConfig.DefaultLookBackPeriodS),
            c.UpscalingFactor ?? c.UpscaleSmoothingFactor ?? smoothing,
            c.DownscalingFactor ?? c.DownscaleSmoothingFactor ?? smoothing,
            TimeSpan.FromSeconds(c.UpscaleDelayS ?? AutoscalingConfig.DefaultUpscaleDelayS),
            TimeSpan.FromSeconds(c.DownscaleDelayS ?? AutoscalingConfig.DefaultDownscaleDelayS),
            c.DownscaleToZeroDelayS is { } toZero ? TimeSpan.FromSeconds(toZero) : null,
            c.AggregationFunction switch
            {
                "max" => LoadAggregation.Max,
                "min" => LoadAggregation.Min,
                _ => LoadAggregation.Mean,
            },
            c);
    }

    /// <summary>
    /// The policy as the status shows it (Ray's <c>deployment_config.autoscaling_config</c>): the keys as the config set
    /// them, the others at the values in force.
    /// </summary>
    public AutoscalingConfig ToConfig() => Source with
    {
        MinReplicas = MinReplicas,
        InitialReplicas = InitialReplicas,
        MaxReplicas = MaxReplicas,
        TargetOngoingRequests = TargetOngoingRequests,
        MetricsIntervalS = MetricsInterval.TotalSeconds,
        LookBackPeriodS = LookBackPeriod.TotalSeconds,
        SmoothingFactor = Source.SmoothingFactor ?? 1,
        UpscalingFactor = UpscalingFactor,
        DownscalingFactor = DownscalingFactor,
        UpscaleDelayS = UpscaleDelay.TotalSeconds,
        DownscaleDelayS = DownscaleDelay.TotalSeconds,
        DownscaleToZeroDelayS = DownscaleToZeroDelay?.TotalSeconds,
        AggregationFunction = Aggregation.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Ray's <c>get_capacity_adjusted_num_replicas</c>: <paramref name="replicas"/> scaled by <c>target_capacity</c>
    /// (percent), rounded half up, at least 1 unless the capacity or the count is 0.
    /// </summary>
    public static int AdjustForCapacity(int replicas, double? targetCapacity)
    {
        if (targetCapacity is not { } capacity || capacity >= 100)
        {
            return replicas;
        }
        if (capacity <= 0 || replicas == 0)
        {
            return 0;
        }
        var scaled = (decimal)replicas * (decimal)capacity / 100m;
        return Math.Max(1, (int)Math.Round(scaled, MidpointRounding.AwayFromZero));
    }

    /// <summary>The fewest replicas under <paramref name="targetCapacity"/> (initial_replicas while capacity is rising, as Ray).</summary>
    public int LowerBound(double? targetCapacity, bool capacityRising)
        => AdjustForCapacity(capacityRising && InitialReplicas is { } initial ? initial : MinReplicas, targetCapacity);

    /// <summary>The most replicas under <paramref name="targetCapacity"/>.</summary>
    public int UpperBound(double? targetCapacity) => AdjustForCapacity(MaxReplicas, targetCapacity);

    /// <summary>The replicas a newly deployed (or newly configured) deployment starts with.</summary>
    public int InitialTarget(double? targetCapacity)
        => Math.Clamp(AdjustForCapacity(InitialReplicas ?? MinReplicas, targetCapacity), LowerBound(targetCapacity, false), UpperBound(targetCapacity));

    /// <summary>
    /// Ray's <c>_calculate_desired_num_replicas</c>: the replicas that would bring <paramref name="totalRequests"/> (ongoing
    /// plus queued) to <see cref="TargetOngoingRequests"/> per replica, the step scaled by the up- or downscaling factor,
    /// rounded up; a downscale the factor would round away still goes one down. Clamped to [<paramref name="lower"/>,
    /// <paramref name="upper"/>].
    /// </summary>
    public int DesiredReplicas(double totalRequests, int runningReplicas, int lower, int upper)
    {
        if (runningReplicas <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(runningReplicas), "Number of replicas cannot be zero");
        }
        var error = totalRequests / (TargetOngoingRequests * runningReplicas);
        var factor = error >= 1 ? UpscalingFactor : DownscalingFactor;
        var smoothed = 1 + ((error - 1) * factor);
        var desired = Ceiling(runningReplicas * smoothed);
        if (Ceiling(runningReplicas * error) < runningReplicas && desired == runningReplicas)
        {
            desired--;
        }
        return Math.Clamp(desired, lower, Math.Max(lower, upper));
    }

    // Rounded first, so that 3 × (2/3) is 2, not 3 by a floating-point hair.
    private static int Ceiling(double value) => (int)Math.Min(int.MaxValue, Math.Ceiling(Math.Round(value, 9)));
}

/// <summary>The direction a decision wanted, for the delays.</summary>
internal enum ScaleDirection
{
    None,
    Up,
    Down,
}

/// <summary>
/// Ray's decision delays: a deployment scales up once "more replicas" held for <c>upscale_delay_s</c>, down once "fewer"
/// held for <c>downscale_delay_s</c> (from 1 to 0: <c>downscale_to_zero_delay_s</c>); a decision the other way or "as
/// many" starts over. Ray counts control-loop rounds of 0.1 s; this measures the time itself, which is the same on any
/// loop rate. Scaling up from zero replicas with requests waiting is immediate.
/// </summary>
internal sealed class AutoscalingDecider
{
    private ScaleDirection _direction;
    private DateTimeOffset _since;

    /// <summary>Which way the pending decision goes, and since when (for the status).</summary>
    public (ScaleDirection Direction, DateTimeOffset Since) Pending => (_direction, _since);

    /// <summary>The replica count the pending decision would apply, as last computed (meaningless without one).</summary>
    public int PendingTarget { get; private set; }

    /// <summary>
    /// The replica count to run now: <paramref name="currentTarget"/> until a different desired count held for its delay.
    /// </summary>
    /// <param name="policy">The deployment's policy.</param>
    /// <param name="currentTarget">The count the deployment is scaled to.</param>
    /// <param name="runningReplicas">Replicas routed to now.</param>
    /// <param name="totalRequests">Ongoing plus queued requests, aggregated over the look-back window.</param>
    /// <param name="lower">The fewest replicas allowed now (capacity-adjusted).</param>
    /// <param name="upper">The most replicas allowed now (capacity-adjusted).</param>
    /// <param name="now">The time of the decision.</param>
    public int Decide(AutoscalingPolicy policy, int currentTarget, int runningReplicas, double totalRequests, int lower, int upper, DateTimeOffset now)
    {
        int decision;
        if (runningReplicas == 0)
        {
            // Ray: from zero, any waiting request scales up at once, by at least one replica.
            _direction = ScaleDirection.None;
            decision = totalRequests > 0
                ? Math.Max((int)Math.Ceiling(Math.Round(policy.UpscalingFactor, 9)), currentTarget)
                : currentTarget;
            return Clamp(decision, lower, upper);
        }
        var desired = policy.DesiredReplicas(totalRequests, runningReplicas, lower, upper);
        decision = currentTarget;
        if (desired > currentTarget)
        {
            Start(ScaleDirection.Up, now);
            PendingTarget = desired;
            if (now - _since >= policy.UpscaleDelay)
            {
                _direction = ScaleDirection.None;
                decision = desired;
            }
        }
        else if (desired < currentTarget)
        {
            Start(ScaleDirection.Down, now);
            TimeSpan delay;
            if (currentTarget == 1)
            {
                // Only 1 → 0 goes to zero; a larger deployment stops at 1 first.
                delay = policy.DownscaleToZeroDelay ?? policy.DownscaleDelay;
            }
            else
            {
                delay = policy.DownscaleDelay;
                desired = Math.Max(1, desired);
            }
            PendingTarget = desired;
            if (now - _since >= delay)
            {
                _direction = ScaleDirection.None;
                decision = desired;
            }
        }
        else
        {
            _direction = ScaleDirection.None;
        }
        return Clamp(decision, lower, upper);
    }

    private void Start(ScaleDirection direction, DateTimeOffset now)
    {
        if (_direction != direction)
        {
            _direction = direction;
            _since = now;
        }
    }

    private static int Clamp(int value, int lower, int upper) => Math.Max(lower, Math.Min(Math.Max(lower, upper), value));
}
