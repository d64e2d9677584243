using Serve.Config;
using Serve.Control;
using Serve.Control.Autoscaling;

namespace Serve.Runtime.Tests.Control;

/// <summary>Ray's default autoscaling policy, decision delays and target-capacity rounding, checked against Ray's numbers.</summary>
public sealed class AutoscalingPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static AutoscalingPolicy Policy(AutoscalingConfig? config = null, bool auto = false)
        => AutoscalingPolicy.Resolve(new DeploymentConfig { Name = "D", NumReplicasAuto = auto, AutoscalingConfig = auto ? config : config ?? new AutoscalingConfig() })!;

    [Fact]
    public void Auto_fills_rays_defaults_and_a_bare_autoscaling_config_keeps_max_1()
    {
        var auto = Policy(auto: true);
        Assert.Equal((1, 100, 2.0), (auto.MinReplicas, auto.MaxReplicas, auto.TargetOngoingRequests));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10)),
            (auto.UpscaleDelay, auto.DownscaleDelay, auto.LookBackPeriod, auto.MetricsInterval));
        Assert.Equal((1.0, 1.0, null, LoadAggregation.Mean), (auto.UpscalingFactor, auto.DownscalingFactor, auto.DownscaleToZeroDelay, auto.Aggregation));

        Assert.Equal(1, Policy().MaxReplicas);
        // Keys set under auto win over its defaults.
        Assert.Equal(7, Policy(new AutoscalingConfig { MaxReplicas = 7 }, auto: true).MaxReplicas);
        Assert.Null(AutoscalingPolicy.Resolve(new DeploymentConfig { Name = "D", NumReplicas = 3 }));
    }

    [Fact]
    public void The_newer_factors_win_over_the_smoothing_factors()
    {
        var policy = Policy(new AutoscalingConfig { SmoothingFactor = 3, UpscaleSmoothingFactor = 2, DownscalingFactor = 0.25 });
        Assert.Equal((2.0, 0.25), (policy.UpscalingFactor, policy.DownscalingFactor));
        Assert.Equal((3.0, 3.0), (Policy(new AutoscalingConfig { SmoothingFactor = 3 }).UpscalingFactor, Policy(new AutoscalingConfig { SmoothingFactor = 3 }).DownscalingFactor));
    }

    [Theory]
    // total requests, running, target per replica, up factor, down factor, desired (clamped to 0..100)
    [InlineData(10, 2, 2, 1, 1, 5)]      // error 2.5: 2 × 2.5
    [InlineData(4, 2, 2, 1, 1, 2)]       // on target
    [InlineData(1, 4, 2, 1, 1, 1)]       // error 0.125: ceil(0.5)
    [InlineData(0, 3, 2, 1, 1, 0)]       // idle: down to the lower bound
    [InlineData(8, 2, 2, 0.5, 1, 3)]     // error 2, half the step: 2 × 1.5
    [InlineData(6, 4, 2, 1, 0.1, 3)]     // error 0.75, a tenth of the step rounds back to 4: the stuck rule still goes one down
    [InlineData(5, 3, 2, 1, 1, 3)]       // error 0.83: ceil(2.5) = 3, nothing to do
    [InlineData(2.0000000001, 1, 2, 1, 1, 1)] // a floating-point hair over the target is not a replica more
    [InlineData(1000, 2, 2, 1, 1, 100)]  // clamped to max
    public void Desired_replicas_follow_rays_formula(double total, int running, double target, double up, double down, int desired)
    {
        var policy = Policy(new AutoscalingConfig { TargetOngoingRequests = target, UpscalingFactor = up, DownscalingFactor = down }, auto: true);
        Assert.Equal(desired, policy.DesiredReplicas(total, running, 0, 100));
    }

    [Fact]
    public void Upscaling_waits_for_the_decision_to_hold_for_upscale_delay_s()
    {
        var policy = Policy(new AutoscalingConfig { UpscaleDelayS = 30 }, auto: true);
        var decider = new AutoscalingDecider();
        Assert.Equal(1, decider.Decide(policy, 1, 1, 10, 1, 100, T0));
        Assert.Equal((ScaleDirection.Up, T0), decider.Pending);
        Assert.Equal(1, decider.Decide(policy, 1, 1, 10, 1, 100, T0.AddSeconds(29.9)));
        Assert.Equal(5, decider.Decide(policy, 1, 1, 10, 1, 100, T0.AddSeconds(30)));
        Assert.Equal(ScaleDirection.None, decider.Pending.Direction);
    }

    [Fact]
    public void A_decision_the_other_way_or_on_target_starts_the_delay_over()
    {
        var policy = Policy(new AutoscalingConfig { UpscaleDelayS = 10, DownscaleDelayS = 10 }, auto: true);
        var decider = new AutoscalingDecider();
        decider.Decide(policy, 2, 2, 20, 1, 100, T0);                       // up
        decider.Decide(policy, 2, 2, 4, 1, 100, T0.AddSeconds(5));          // on target: reset
        Assert.Equal(2, decider.Decide(policy, 2, 2, 20, 1, 100, T0.AddSeconds(12)));
        Assert.Equal(T0.AddSeconds(12), decider.Pending.Since);
        decider.Decide(policy, 2, 2, 0, 1, 100, T0.AddSeconds(13));         // down: starts its own delay
        Assert.Equal((ScaleDirection.Down, T0.AddSeconds(13)), decider.Pending);
        Assert.Equal(1, decider.Decide(policy, 2, 2, 0, 1, 100, T0.AddSeconds(23)));
    }

    [Fact]
    public void Zero_delays_act_at_once()
    {
        var policy = Policy(new AutoscalingConfig { UpscaleDelayS = 0, DownscaleDelayS = 0 }, auto: true);
        var decider = new AutoscalingDecider();
        Assert.Equal(3, decider.Decide(policy, 1, 1, 6, 1, 100, T0));
        Assert.Equal(1, decider.Decide(policy, 3, 3, 0, 1, 100, T0));
    }

    [Fact]
    public void Going_to_zero_passes_through_one_and_waits_downscale_to_zero_delay_s()
    {
        var policy = Policy(new AutoscalingConfig { MinReplicas = 0, MaxReplicas = 10, DownscaleDelayS = 5, DownscaleToZeroDelayS = 60 });
        var decider = new AutoscalingDecider();
        decider.Decide(policy, 4, 4, 0, 0, 10, T0);
        // Idle at 4: the policy wants 0, but a deployment above 1 stops at 1 first.
        Assert.Equal(1, decider.Decide(policy, 4, 4, 0, 0, 10, T0.AddSeconds(5)));
        decider.Decide(policy, 1, 1, 0, 0, 10, T0.AddSeconds(6));
        Assert.Equal(1, decider.Decide(policy, 1, 1, 0, 0, 10, T0.AddSeconds(60)));
        Assert.Equal(0, decider.Decide(policy, 1, 1, 0, 0, 10, T0.AddSeconds(66)));
    }

    [Fact]
    public void Without_downscale_to_zero_delay_s_one_to_zero_waits_downscale_delay_s()
    {
        var policy = Policy(new AutoscalingConfig { MinReplicas = 0, MaxReplicas = 2, DownscaleDelayS = 20 });
        var decider = new AutoscalingDecider();
        decider.Decide(policy, 1, 1, 0, 0, 2, T0);
        Assert.Equal(1, decider.Decide(policy, 1, 1, 0, 0, 2, T0.AddSeconds(19)));
        Assert.Equal(0, decider.Decide(policy, 1, 1, 0, 0, 2, T0.AddSeconds(20)));
    }

    [Fact]
    public void From_zero_a_waiting_request_scales_up_at_once_and_nothing_waiting_stays_at_zero()
    {
        var policy = Policy(new AutoscalingConfig { MinReplicas = 0, MaxReplicas = 5, UpscaleDelayS = 300 });
        var decider = new AutoscalingDecider();
        Assert.Equal(0, decider.Decide(policy, 0, 0, 0, 0, 5, T0));
        Assert.Equal(1, decider.Decide(policy, 0, 0, 1, 0, 5, T0));
        // An upscaling factor above 1 starts more than one (Ray: ceil(1 × factor)).
        var eager = Policy(new AutoscalingConfig { MinReplicas = 0, MaxReplicas = 5, UpscalingFactor = 2.5 });
        Assert.Equal(3, new AutoscalingDecider().Decide(eager, 0, 0, 1, 0, 5, T0));
    }

    [Theory]
    [InlineData(10, null, 10)]
    [InlineData(10, 100.0, 10)]
    [InlineData(10, 50.0, 5)]
    [InlineData(3, 50.0, 2)]     // 1.5 rounds half up
    [InlineData(5, 10.0, 1)]     // 0.5 rounds up to 1
    [InlineData(1, 10.0, 1)]     // never below 1 unless 0
    [InlineData(0, 50.0, 0)]
    [InlineData(5, 0.0, 0)]
    public void Target_capacity_scales_replica_counts_as_ray_rounds_them(int replicas, double? capacity, int expected)
        => Assert.Equal(expected, AutoscalingPolicy.AdjustForCapacity(replicas, capacity));

    [Fact]
    public void Target_capacity_direction_follows_ray()
    {
        var first = TargetCapacity.Next(default, 50);
        Assert.Equal(new TargetCapacity(50, false), first);              // none -> a number: down
        var up = TargetCapacity.Next(first, 80);
        Assert.True(up.Rising);
        Assert.True(TargetCapacity.Next(up, 80).Rising);                 // unchanged keeps its direction
        Assert.False(TargetCapacity.Next(up, 30).Rising);
        Assert.Equal(default, TargetCapacity.Next(up, null));
    }

    [Fact]
    public void While_capacity_rises_the_lower_bound_is_initial_replicas()
    {
        var policy = Policy(new AutoscalingConfig { MinReplicas = 1, InitialReplicas = 4, MaxReplicas = 10 });
        Assert.Equal(2, policy.LowerBound(50, capacityRising: true));
        Assert.Equal(1, policy.LowerBound(50, capacityRising: false));
        Assert.Equal(5, policy.UpperBound(50));
        Assert.Equal(2, policy.InitialTarget(50));
    }
}
