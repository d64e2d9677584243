using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Serve.Config;
using Serve.Control;
using Serve.Control.Autoscaling;
using Serve.Dashboard;
using Serve.Replicas;
using static Serve.Runtime.Tests.Composition.CompositionKit;
using static Serve.Runtime.Tests.Control.ReconcileKit;

namespace Serve.Runtime.Tests.Control;

/// <summary>
/// A deployed application's autoscaler, on a fake clock: load held through handle calls scales it up once the decision
/// held for upscale_delay_s, idleness scales it down (draining) after downscale_delay_s, to zero after
/// downscale_to_zero_delay_s, a request held at zero wakes it, and config applies keep, restart or stop it.
/// </summary>
/// <remarks>
/// The deployment's own loop runs too (every 0.1 s of the fake clock, or when woken); the tests call
/// <see cref="DeploymentAutoscaler.StepAsync"/> at chosen times so that every round they assert on has run. Both take the
/// same readings at the same fake time, and a scaling decision applies once (the replica lock and the count it read).
/// </remarks>
public sealed class AutoscalerTests : IAsyncLifetime
{
    /// <summary>Turns a hang (a regression) into a failure; never reached when the code works.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private readonly Journal _journal = new();
    private readonly ReconcileKit _kit;
    private readonly FakeTimeProvider _time = new(T0);
    private readonly ServiceProvider _services;
    private readonly ServeController _controller;
    private readonly List<TaskCompletionSource> _signals = [];

    public AutoscalerTests()
    {
        _kit = new ReconcileKit(_journal);
        // The controller's deployments read their clock from these services.
        _services = new ServiceCollection().AddSingleton<TimeProvider>(_time).BuildServiceProvider();
        _controller = new ServeController(NullLogger<ServeController>.Instance, _services);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A failed assertion may leave calls or replica starts held: release them so the stop does not wait on them.
        foreach (var signal in _signals)
        {
            signal.TrySetResult();
        }
        await _controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        _controller.Dispose();
        await _services.DisposeAsync();
    }

    private TaskCompletionSource Signal()
    {
        var signal = NewSignal();
        _signals.Add(signal);
        return signal;
    }

    private static AutoscalingConfig Policy(int min = 1, int max = 10, int? initial = null, double target = 1, double upDelay = 5, double downDelay = 20,
        double? toZeroDelay = null) => new()
    {
        MinReplicas = min,
        MaxReplicas = max,
        InitialReplicas = initial,
        TargetOngoingRequests = target,
        // A fresh reading every round over the last second: the load the tests hold is what each round reads.
        MetricsIntervalS = 0.1,
        LookBackPeriodS = 1,
        UpscaleDelayS = upDelay,
        DownscaleDelayS = downDelay,
        DownscaleToZeroDelayS = toZeroDelay,
    };

    /// <summary>
    /// The autoscaled deployment: one slot per replica, so held calls queue on a full replica and spread over new ones, and
    /// a user_config, so that each new replica's start passes through <see cref="Journal.ReconfigureGate"/>.
    /// </summary>
    private static DeploymentConfig Leaf(AutoscalingConfig policy) => new()
    {
        Name = "Leaf",
        MaxOngoingRequests = 1,
        UserConfig = """{"v":1}""",
        AutoscalingConfig = policy,
    };

    private async Task<(string Path, DeploymentState Leaf)> DeployAsync(DeploymentConfig leaf)
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await ApplyAsync(path, leaf);
        return (path, Deployment(_controller, "app", "Leaf"));
    }

    private Task ApplyAsync(string path, DeploymentConfig leaf, double? targetCapacity = null)
    {
        var config = ConfigOf(App("app", path, leaf)) with { TargetCapacity = targetCapacity };
        config.Validate();
        return _controller.ApplyAsync(config);
    }

    /// <summary>One control round at the fake clock's time, after moving it by <paramref name="advance"/>.</summary>
    private async Task StepAsync(DeploymentState deployment, TimeSpan advance = default)
    {
        _time.Advance(advance);
        await deployment.Supervisor.Autoscaler.StepAsync(CancellationToken.None).WaitAsync(Guard);
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>Starts <paramref name="count"/> calls that each hold their replica's slot until <paramref name="release"/>.</summary>
    private static Task<string>[] Hold(DeploymentState deployment, int count, Task release)
    {
        var handle = new DeploymentHandle<Tracked>(deployment.HandleTarget);
        return [.. Enumerable.Range(0, count).Select(_ => handle.Invoke("Hold", (t, _) => t.HoldAsync(NewSignal(), release)).AsTask())];
    }

    /// <summary>Ongoing plus queued requests: the load the autoscaler samples.</summary>
    private static int Load(DeploymentState deployment) => deployment.Router.Queued + deployment.Router.Replicas.Sum(r => r.Ongoing);

    /// <summary>Waits until the deployment runs <paramref name="count"/> replicas and reports HEALTHY.</summary>
    private static Task ScaledTo(DeploymentState deployment, int count)
        => Eventually(() => deployment.Router.Replicas.Count == count && deployment.NumReplicas == count && deployment.Status == DeploymentStatus.Healthy);

    private JsonElement DeploymentJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ServeDetailsJson.Write(writer, _controller.GetStatus(), null, null);
        }
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(buffer.ToArray()));
        return document.RootElement.GetProperty("applications").GetProperty("app").GetProperty("deployments").GetProperty("Leaf").Clone();
    }

    [Fact]
    public async Task Load_held_for_upscale_delay_s_scales_up_to_rays_desired_count()
    {
        var (_, leaf) = await DeployAsync(Leaf(Policy(upDelay: 5)));
        Assert.Single(leaf.Router.Replicas);
        var release = Signal();
        var calls = Hold(leaf, 4, release.Task);
        // One runs, three wait for the only slot: 4 ongoing and queued requests.
        await Eventually(() => leaf.Router.Queued == 3 && Load(leaf) == 4);

        // Past the look-back window of the deploy's idle reading: the reading is 4, Ray's desired count ceil(1 × 4/1) = 4.
        await StepAsync(leaf, S(2));
        Assert.Equal(4, leaf.Supervisor.Autoscaler.LastReading);
        Assert.Equal((ScaleDirection.Up, T0 + S(2), 4), leaf.Supervisor.Autoscaler.Pending);
        await StepAsync(leaf, S(4.9));
        Assert.Single(leaf.Router.Replicas);
        Assert.Equal(DeploymentStatus.Healthy, leaf.Status);
        var pending = DeploymentJson().GetProperty("autoscaling_detail").GetProperty("pending_decision");
        Assert.Equal("UPSCALE", pending.GetProperty("direction").GetString());

        // The decision held for upscale_delay_s: the new replicas start (held in their user_config meanwhile).
        var starting = Signal();
        _journal.ReconfigureGate = starting.Task;
        _time.Advance(S(0.1));
        var step = leaf.Supervisor.Autoscaler.StepAsync(CancellationToken.None);
        await Eventually(() => leaf.Status == DeploymentStatus.Upscaling);
        Assert.Equal((DeploymentStatusTrigger.Autoscaling, "Upscaling from 1 to 4 replicas."), (leaf.StatusTrigger, leaf.Message));
        var upscaling = DeploymentJson();
        Assert.Equal(("UPSCALING", "AUTOSCALING"), (upscaling.GetProperty("status").GetString(), upscaling.GetProperty("status_trigger").GetString()));
        Assert.Equal(1, upscaling.GetProperty("replica_states").GetProperty("STARTING").GetInt32());
        Assert.Single(leaf.Router.Replicas);

        starting.SetResult();
        await step.WaitAsync(Guard);
        await ScaledTo(leaf, 4);
        Assert.Equal(DeploymentStatusTrigger.UpscaleCompleted, leaf.StatusTrigger);
        // The queued calls went to the new replicas: one on each.
        Assert.All(leaf.Router.Replicas, r => Assert.Equal(1, r.Ongoing));
        Assert.Equal(0, leaf.Router.Queued);
        Assert.Equal(4, _journal.Count("created Leaf"));
        var decision = Assert.Single(leaf.Supervisor.Autoscaler.Decisions);
        Assert.Equal((1, 4, 4.0, T0 + S(7)), (decision.From, decision.To, decision.Load, decision.Time));

        // A round on target: nothing pending, nothing changes.
        await StepAsync(leaf, S(0.1));
        var json = DeploymentJson();
        Assert.Equal(("HEALTHY", "UPSCALE_COMPLETED"), (json.GetProperty("status").GetString(), json.GetProperty("status_trigger").GetString()));
        Assert.Equal(4, json.GetProperty("target_num_replicas").GetInt32());
        var detail = json.GetProperty("autoscaling_detail");
        Assert.Equal((4, 4, 1, 10), (detail.GetProperty("current_num_replicas").GetInt32(), detail.GetProperty("target_num_replicas").GetInt32(),
            detail.GetProperty("lower_bound").GetInt32(), detail.GetProperty("upper_bound").GetInt32()));
        Assert.Equal(4, detail.GetProperty("total_num_requests").GetDouble());
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("pending_decision").ValueKind);
        var recorded = Assert.Single(detail.GetProperty("decisions").EnumerateArray());
        Assert.Equal((1, 4, 4.0), (recorded.GetProperty("from_num_replicas").GetInt32(), recorded.GetProperty("to_num_replicas").GetInt32(),
            recorded.GetProperty("total_num_requests").GetDouble()));
        Assert.Equal((T0 + S(7)).ToUnixTimeMilliseconds() / 1000.0, recorded.GetProperty("timestamp_s").GetDouble());
        // An autoscaled deployment's config shows its policy, not a num_replicas.
        var config = json.GetProperty("deployment_config");
        Assert.False(config.TryGetProperty("num_replicas", out var numReplicas) && numReplicas.ValueKind != JsonValueKind.Null);
        Assert.Equal(10, config.GetProperty("autoscaling_config").GetProperty("max_replicas").GetInt32());

        release.SetResult();
        Assert.All(await Task.WhenAll(calls).WaitAsync(Guard), r => Assert.Equal("""{"v":1}""", r));
    }

    [Fact]
    public async Task Upscaling_stops_at_max_replicas()
    {
        var (_, leaf) = await DeployAsync(Leaf(Policy(max: 3, upDelay: 0)));
        var release = Signal();
        var calls = Hold(leaf, 6, release.Task);
        await Eventually(() => Load(leaf) == 6);

        // upscale_delay_s 0: the first round that reads the load applies it.
        await StepAsync(leaf, S(2));
        await ScaledTo(leaf, 3);
        await StepAsync(leaf, S(10));
        Assert.Equal(3, leaf.Router.Replicas.Count);
        Assert.Equal(3, leaf.Router.Queued);

        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Guard);
    }

    [Fact]
    public async Task Load_gone_for_downscale_delay_s_scales_down_to_min_replicas_and_stops_the_surplus()
    {
        var (_, leaf) = await DeployAsync(Leaf(Policy(min: 2, initial: 4, downDelay: 20)));
        Assert.Equal(4, leaf.Router.Replicas.Count);
        var replicas = leaf.Router.Replicas.ToArray();

        // Idle from the start: "fewer" holds from the deploy on.
        await StepAsync(leaf);
        Assert.Equal((ScaleDirection.Down, T0, 2), leaf.Supervisor.Autoscaler.Pending);
        await StepAsync(leaf, S(19.9));
        Assert.Equal(4, leaf.Router.Replicas.Count);
        Assert.Equal("DOWNSCALE", DeploymentJson().GetProperty("autoscaling_detail").GetProperty("pending_decision").GetProperty("direction").GetString());

        await StepAsync(leaf, S(0.1));
        await ScaledTo(leaf, 2);
        Assert.Equal(DeploymentStatusTrigger.DownscaleCompleted, leaf.StatusTrigger);
        var decision = Assert.Single(leaf.Supervisor.Autoscaler.Decisions);
        Assert.Equal((4, 2, 0.0, T0 + S(20)), (decision.From, decision.To, decision.Load, decision.Time));
        // The newest leave (all idle); they stop at once, having nothing to finish.
        Assert.Equal(replicas[..2], leaf.Router.Replicas);
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.All(replicas[2..], r => Assert.Equal(ReplicaState.Stopped, r.State));
        Assert.All(replicas[..2], r => Assert.False(((Tracked)r.Instance).Disposed));
        Assert.Equal(2, _journal.Count("disposed Leaf"));

        // At min_replicas an idle deployment stays.
        await StepAsync(leaf, S(600));
        Assert.Equal(2, leaf.Router.Replicas.Count);
        Assert.Single(leaf.Supervisor.Autoscaler.Decisions);
        var json = DeploymentJson();
        Assert.Equal(("HEALTHY", "DOWNSCALE_COMPLETED"), (json.GetProperty("status").GetString(), json.GetProperty("status_trigger").GetString()));
    }

    [Fact]
    public async Task Requests_running_on_replicas_an_autoscaler_removes_finish_before_those_replicas_stop()
    {
        var (path, leaf) = await DeployAsync(Leaf(Policy(initial: 4, target: 1)));
        var release = Signal();
        var calls = Hold(leaf, 4, release.Task);
        // One slot per replica: one call on each.
        await Eventually(() => leaf.Router.Replicas.All(r => r.Ongoing == 1));

        // A higher target per replica: the same 4 requests need ceil(4 × 4/(4 × 4)) = 1 replica. The new policy (without
        // initial_replicas) keeps the running count; the autoscaler decides from there.
        await ApplyAsync(path, Leaf(Policy(target: 4)));
        Assert.Equal(4, leaf.Router.Replicas.Count);
        await StepAsync(leaf, S(2));
        Assert.Equal(ScaleDirection.Down, leaf.Supervisor.Autoscaler.Pending.Direction);
        var since = leaf.Supervisor.Autoscaler.Pending.Since;
        await StepAsync(leaf, since + S(20) - _time.GetUtcNow());
        await ScaledTo(leaf, 1);

        // Three replicas left the router with a call each: they drain, their calls still running.
        var draining = leaf.Draining;
        Assert.Equal(3, draining.Count);
        Assert.All(draining, r => Assert.Equal(ReplicaState.Stopping, r.State));
        Assert.All(draining, r => Assert.False(((Tracked)r.Instance).Disposed));
        Assert.All(calls, c => Assert.False(c.IsCompleted));
        var json = DeploymentJson();
        Assert.Equal(3, json.GetProperty("replica_states").GetProperty("STOPPING").GetInt32());
        Assert.Equal(1, json.GetProperty("replica_states").GetProperty("RUNNING").GetInt32());

        release.SetResult();
        Assert.All(await Task.WhenAll(calls).WaitAsync(Guard), r => Assert.Equal("""{"v":1}""", r));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.All(draining, r => Assert.True(((Tracked)r.Instance).Disposed));
        Assert.Empty(leaf.Draining);
        Assert.Equal(3, _journal.Count("disposed Leaf"));
    }

    [Fact]
    public async Task An_idle_deployment_with_min_replicas_0_goes_to_zero_after_the_to_zero_delay_and_a_request_wakes_it()
    {
        var (_, leaf) = await DeployAsync(Leaf(Policy(min: 0, initial: 2, max: 4, downDelay: 10, toZeroDelay: 30)));
        await StepAsync(leaf);

        // 2 → 1 after downscale_delay_s: a deployment goes to zero only from one replica.
        await StepAsync(leaf, S(10));
        await ScaledTo(leaf, 1);
        // The next round starts the 1 → 0 decision, which waits downscale_to_zero_delay_s.
        await StepAsync(leaf);
        Assert.Equal((ScaleDirection.Down, T0 + S(10), 0), leaf.Supervisor.Autoscaler.Pending);
        await StepAsync(leaf, S(29.9));
        Assert.Single(leaf.Router.Replicas);
        await StepAsync(leaf, S(0.1));
        await ScaledTo(leaf, 0);
        Assert.Equal(DeploymentStatusTrigger.DownscaleCompleted, leaf.StatusTrigger);
        Assert.Equal([(2, 1), (1, 0)], leaf.Supervisor.Autoscaler.Decisions.Select(d => (d.From, d.To)));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.Equal(2, _journal.Count("disposed Leaf"));
        Assert.Equal(ApplicationStatus.Running, _controller.Applications[0].ReportedStatus);

        // A request at zero replicas is held, not failed, and wakes the deployment without waiting for a round (the
        // loop waits for its next one, which the fake clock never reaches): the replica it starts serves it.
        await Eventually(() => leaf.Supervisor.Autoscaler.Idle);
        var starting = Signal();
        _journal.ReconfigureGate = starting.Task;
        var call = Hold(leaf, 1, Task.CompletedTask)[0];
        await Eventually(() => leaf.Status == DeploymentStatus.Upscaling);
        Assert.Equal("Upscaling from 0 to 1 replicas.", leaf.Message);
        Assert.Equal(1, leaf.Router.Queued);
        Assert.False(call.IsCompleted);

        starting.SetResult();
        Assert.Equal("""{"v":1}""", await call.WaitAsync(Guard));
        await ScaledTo(leaf, 1);
        Assert.Equal(DeploymentStatusTrigger.UpscaleCompleted, leaf.StatusTrigger);
        Assert.Equal((0, 1, 1.0), (leaf.Supervisor.Autoscaler.Decisions[^1].From, leaf.Supervisor.Autoscaler.Decisions[^1].To, leaf.Supervisor.Autoscaler.Decisions[^1].Load));
        Assert.Equal(T0 + S(40), leaf.Supervisor.Autoscaler.Decisions[^1].Time);
    }

    [Fact]
    public async Task Several_requests_held_at_zero_are_all_served_by_the_replicas_they_wake()
    {
        var (_, leaf) = await DeployAsync(Leaf(Policy(min: 0, max: 4, upDelay: 30)));
        Assert.Empty(leaf.Router.Replicas);
        await Eventually(() => leaf.Supervisor.Autoscaler.Idle);

        var release = Signal();
        var calls = Hold(leaf, 3, release.Task);
        // Woken at once to at least one replica; the rest follows Ray's rule once upscale_delay_s passed.
        await Eventually(() => leaf.Router.Replicas.Count >= 1 && leaf.Router.Replicas[0].Ongoing == 1 && Load(leaf) == 3);
        Assert.Equal(1, leaf.NumReplicas);
        await StepAsync(leaf, S(2));
        await StepAsync(leaf, S(30));
        await ScaledTo(leaf, 3);
        Assert.All(leaf.Router.Replicas, r => Assert.Equal(1, r.Ongoing));
        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Guard);
    }

    [Fact]
    public async Task Without_autoscaling_a_deployment_at_zero_replicas_fails_requests_with_DeploymentUnavailableException()
    {
        // target_capacity 0 scales a fixed num_replicas to 0.
        var path = Register(() => _kit.Bound("Leaf"));
        await ApplyAsync(path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2 }, targetCapacity: 0);
        var leaf = Deployment(_controller, "app", "Leaf");
        Assert.Empty(leaf.Router.Replicas);
        Assert.Null(leaf.Router.HoldWhenEmpty);

        var call = Hold(leaf, 1, Task.CompletedTask)[0];
        await Assert.ThrowsAsync<DeploymentUnavailableException>(() => call.WaitAsync(Guard));
        Assert.Equal(0, leaf.Router.Queued);
    }

    [Fact]
    public async Task Requests_held_at_zero_fail_when_autoscaling_is_switched_off()
    {
        // target_capacity 0: an autoscaled deployment's bounds are 0, so held requests wake nothing.
        var path = Register(() => _kit.Bound("Leaf"));
        await ApplyAsync(path, Leaf(Policy(min: 0, max: 4)), targetCapacity: 0);
        var leaf = Deployment(_controller, "app", "Leaf");
        var call = Hold(leaf, 1, Task.CompletedTask)[0];
        await Eventually(() => leaf.Router.Queued == 1);
        await StepAsync(leaf, S(1));
        Assert.Empty(leaf.Router.Replicas);
        Assert.False(call.IsCompleted);

        await ApplyAsync(path, new DeploymentConfig { Name = "Leaf", NumReplicas = 1 }, targetCapacity: 0);

        await Assert.ThrowsAsync<DeploymentUnavailableException>(() => call.WaitAsync(Guard));
        Assert.Equal(0, leaf.Router.Queued);
    }

    [Fact]
    public async Task A_request_held_at_zero_fails_when_its_application_is_deleted_while_the_replica_starts()
    {
        var (_, leaf) = await DeployAsync(Leaf(Policy(min: 0, max: 4)));
        await Eventually(() => leaf.Supervisor.Autoscaler.Idle);
        var starting = Signal();
        _journal.ReconfigureGate = starting.Task;
        var call = Hold(leaf, 1, Task.CompletedTask)[0];
        await Eventually(() => leaf.Status == DeploymentStatus.Upscaling);

        await _controller.DeleteAllAsync().WaitAsync(Guard);

        // The replica it woke will never start: the caller hears so, rather than waiting for its own timeout.
        await Assert.ThrowsAsync<DeploymentUnavailableException>(() => call.WaitAsync(Guard));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.Empty(leaf.Router.Replicas);
        Assert.Equal(0, leaf.Router.Queued);
    }

    [Fact]
    public async Task A_request_queued_behind_busy_replicas_fails_when_its_application_is_deleted()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await ApplyAsync(path, new DeploymentConfig { Name = "Leaf", NumReplicas = 1, MaxOngoingRequests = 1 });
        var leaf = Deployment(_controller, "app", "Leaf");
        var release = Signal();
        var calls = Hold(leaf, 2, release.Task);
        await Eventually(() => leaf.Router.Queued == 1);

        await _controller.DeleteAllAsync().WaitAsync(Guard);
        release.SetResult();

        // The running call finishes (drain); the queued one has no replica left to run on.
        Assert.Equal("", await calls[0].WaitAsync(Guard));
        await Assert.ThrowsAsync<DeploymentUnavailableException>(() => calls[1].WaitAsync(Guard));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
    }

    [Fact]
    public async Task Reapplying_the_same_policy_keeps_the_autoscaled_count()
    {
        var policy = Policy(upDelay: 0);
        var (path, leaf) = await DeployAsync(Leaf(policy));
        var release = Signal();
        var calls = Hold(leaf, 3, release.Task);
        await Eventually(() => Load(leaf) == 3);
        await StepAsync(leaf, S(2));
        await ScaledTo(leaf, 3);
        var ids = leaf.Router.Replicas.Select(r => r.Id).ToArray();
        var events = _journal.Events.Count;

        // Equal, not the same objects, as a second PUT of the same file.
        await ApplyAsync(path, Leaf(Policy(upDelay: 0)));

        Assert.Same(leaf, Deployment(_controller, "app", "Leaf"));
        Assert.Equal(ids, leaf.Router.Replicas.Select(r => r.Id));
        Assert.Equal(3, leaf.NumReplicas);
        Assert.Equal(events, _journal.Events.Count);

        // A changed policy without initial_replicas keeps the count too.
        await ApplyAsync(path, Leaf(Policy(upDelay: 0, max: 8)));
        Assert.Equal(ids, leaf.Router.Replicas.Select(r => r.Id));
        Assert.Equal((3, 8), (leaf.NumReplicas, leaf.Options.UpperBound));
        Assert.Equal(events, _journal.Events.Count);

        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Guard);
    }

    [Fact]
    public async Task A_changed_initial_replicas_restarts_the_count_from_it()
    {
        var (path, leaf) = await DeployAsync(Leaf(Policy(initial: 2)));
        Assert.Equal(2, leaf.Router.Replicas.Count);
        // Re-applied unchanged: nothing restarts.
        await ApplyAsync(path, Leaf(Policy(initial: 2)));
        Assert.Equal(2, leaf.NumReplicas);

        await ApplyAsync(path, Leaf(Policy(initial: 5)));
        await ScaledTo(leaf, 5);
        Assert.Equal(DeploymentStatusTrigger.UpscaleCompleted, leaf.StatusTrigger);
        Assert.Equal(5, leaf.Options.Autoscaling!.InitialReplicas);

        await ApplyAsync(path, Leaf(Policy(initial: 3)));
        await ScaledTo(leaf, 3);
        Assert.Equal(DeploymentStatusTrigger.DownscaleCompleted, leaf.StatusTrigger);
    }

    [Fact]
    public async Task Switching_to_a_fixed_num_replicas_stops_autoscaling_at_that_count()
    {
        var (path, leaf) = await DeployAsync(Leaf(Policy(upDelay: 0, max: 10)));
        await ApplyAsync(path, new DeploymentConfig { Name = "Leaf", MaxOngoingRequests = 1, UserConfig = """{"v":1}""", NumReplicas = 2 });
        await ScaledTo(leaf, 2);
        Assert.Null(leaf.Options.Autoscaling);
        Assert.Null(leaf.Router.HoldWhenEmpty);

        // Load that an autoscaler would answer with 6 replicas at once changes nothing now.
        var release = Signal();
        var calls = Hold(leaf, 6, release.Task);
        await Eventually(() => Load(leaf) == 6);
        await StepAsync(leaf, S(5));
        await StepAsync(leaf, S(5));
        Assert.Equal(2, leaf.Router.Replicas.Count);
        Assert.Equal(2, leaf.NumReplicas);
        var json = DeploymentJson();
        Assert.False(json.TryGetProperty("autoscaling_detail", out _));
        Assert.Equal(2, json.GetProperty("deployment_config").GetProperty("num_replicas").GetInt32());

        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Guard);

        // And back: autoscaling resumes from the running count (no initial_replicas), within its bounds.
        await ApplyAsync(path, Leaf(Policy(upDelay: 0, min: 3, max: 10)));
        await ScaledTo(leaf, 3);
        Assert.NotNull(leaf.Router.HoldWhenEmpty);
        var more = Signal();
        var load = Hold(leaf, 5, more.Task);
        await Eventually(() => Load(leaf) == 5);
        await StepAsync(leaf, S(2));
        await ScaledTo(leaf, 5);
        more.SetResult();
        await Task.WhenAll(load).WaitAsync(Guard);
    }

    [Fact]
    public async Task Target_capacity_50_halves_the_bounds_with_rays_rounding()
    {
        var path = Register(() => _kit.Bound("Ingress", _kit.Bound("Leaf")));
        var leafConfig = Leaf(Policy(min: 3, initial: 5, max: 5));
        var ingressConfig = new DeploymentConfig { Name = "Ingress", NumReplicas = 3 };
        var config = ConfigOf(App("app", path, ingressConfig, leafConfig));
        await _controller.ApplyAsync(config);
        var leaf = Deployment(_controller, "app", "Leaf");
        var ingress = Deployment(_controller, "app", "Ingress");
        Assert.Equal((5, 3), (leaf.Router.Replicas.Count, ingress.Router.Replicas.Count));

        await _controller.ApplyAsync(config with { TargetCapacity = 50 });

        // 3 × 0.5 = 1.5 and 5 × 0.5 = 2.5 round half up: bounds [2, 3]; the running 5 fall to 3. A fixed 3 becomes 2.
        Assert.Equal((2, 3), (leaf.Options.LowerBound, leaf.Options.UpperBound));
        await ScaledTo(leaf, 3);
        await ScaledTo(ingress, 2);
        var detail = DeploymentJson().GetProperty("autoscaling_detail");
        Assert.Equal((2, 3), (detail.GetProperty("lower_bound").GetInt32(), detail.GetProperty("upper_bound").GetInt32()));

        // Idle, the autoscaler goes to the capacity-adjusted min_replicas, not the configured one.
        await StepAsync(leaf, S(1));
        await StepAsync(leaf, S(20));
        await ScaledTo(leaf, 2);

        // Back to full capacity (rising: Ray's lower bound is initial_replicas meanwhile).
        await _controller.ApplyAsync(config with { TargetCapacity = 100 });
        Assert.Equal((5, 5), (leaf.Options.LowerBound, leaf.Options.UpperBound));
        await ScaledTo(leaf, 5);
        await ScaledTo(ingress, 3);
    }

    [Fact]
    public async Task A_config_apply_during_an_autoscaling_scale_up_keeps_the_count_the_autoscaler_reached()
    {
        var (path, leaf) = await DeployAsync(Leaf(Policy(upDelay: 0)));
        var release = Signal();
        var calls = Hold(leaf, 4, release.Task);
        await Eventually(() => Load(leaf) == 4);

        // The scale-up to 4 is under way, its replicas held in their start.
        var starting = Signal();
        _journal.ReconfigureGate = starting.Task;
        _time.Advance(S(2));
        var step = leaf.Supervisor.Autoscaler.StepAsync(CancellationToken.None);
        await Eventually(() => leaf.Status == DeploymentStatus.Upscaling);

        // An apply that changes something else (max_queued_requests), same policy, meanwhile.
        var apply = ApplyAsync(path, Leaf(Policy(upDelay: 0)) with { MaxQueuedRequests = 50 });
        starting.SetResult();
        await step.WaitAsync(Guard);
        await apply.WaitAsync(Guard);

        // Nothing was drained and started again: the apply took the 4 replicas as they were.
        Assert.Empty(leaf.Draining);
        Assert.Equal((4, 4), (leaf.Router.Replicas.Count, leaf.NumReplicas));
        Assert.Equal(50, leaf.Router.MaxQueuedRequests);
        Assert.All(leaf.Router.Replicas, r => Assert.Equal(1, r.Ongoing));
        Assert.Equal(4, _journal.Count("created Leaf"));
        Assert.Equal(0, _journal.Count("disposed Leaf"));
        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Guard);
    }

    [Fact]
    public async Task A_decision_taken_before_an_apply_lowered_max_replicas_is_applied_within_the_new_bounds()
    {
        var (path, leaf) = await DeployAsync(Leaf(Policy(upDelay: 0, max: 10)));
        // An apply with a new user_config and max_replicas 2, held while its one replica reconfigures.
        var reconfiguring = Signal();
        _journal.ReconfigureGate = reconfiguring.Task;
        var apply = ApplyAsync(path, Leaf(Policy(upDelay: 0, max: 2)) with { UserConfig = """{"v":2}""" });
        Assert.False(apply.IsCompleted);

        // Meanwhile the autoscaler reads a load of 4 under the old bounds and decides 4; it waits for the apply.
        var release = Signal();
        var calls = Hold(leaf, 4, release.Task);
        await Eventually(() => Load(leaf) == 4);
        _time.Advance(S(2));
        var step = leaf.Supervisor.Autoscaler.StepAsync(CancellationToken.None);

        reconfiguring.SetResult();
        await apply.WaitAsync(Guard);
        await step.WaitAsync(Guard);
        await ScaledTo(leaf, 2);
        Assert.Equal(2, leaf.Options.UpperBound);
        Assert.Equal(2, _journal.Count("created Leaf"));
        release.SetResult();
        await Task.WhenAll(calls).WaitAsync(Guard);
    }
}
