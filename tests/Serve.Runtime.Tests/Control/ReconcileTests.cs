using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Replicas;
using static Serve.Runtime.Tests.Composition.CompositionKit;
using static Serve.Runtime.Tests.Control.ReconcileKit;

namespace Serve.Runtime.Tests.Control;

/// <summary>
/// Declarative applies (Ray's <c>serve deploy</c>): the running set becomes the config's, and only what
/// differs changes.
/// </summary>
public sealed class ReconcileTests : IAsyncLifetime
{
    private readonly Journal _journal = new();
    private readonly ReconcileKit _kit;
    private readonly ServeController _controller = new(NullLogger<ServeController>.Instance);

    public ReconcileTests() => _kit = new ReconcileKit(_journal);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        _controller.Dispose();
    }

    /// <summary>Turns a hang (a regression) into a failure; never reached when the code works.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    /// <summary>Ingress → Middle → Leaf, plus Side under the ingress.</summary>
    private string ChainPath() => Register(() => _kit.Bound("Ingress", _kit.Bound("Middle", _kit.Bound("Leaf")), _kit.Bound("Side")));

    [Fact]
    public async Task Applying_the_same_config_twice_restarts_nothing()
    {
        var path = ChainPath();
        var config = ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2, UserConfig = """{"v":1}""" }));
        await _controller.ApplyAsync(config);
        var ids = ReplicaIds(_controller, "app");
        var instances = Instances(_controller, "app");
        var app = _controller.Applications[0];
        var deployed = app.LastDeployedTime;
        var events = _journal.Events.Count;

        // Equal but not the same objects, as a second PUT of the same file would be.
        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2, UserConfig = """{ "v": 1 }""" })));

        Assert.Same(app, Assert.Single(_controller.Applications));
        Assert.Equal(ids, ReplicaIds(_controller, "app"));
        Assert.Equal(instances, Instances(_controller, "app"));
        // No constructor, reconfigure or dispose ran.
        Assert.Equal(events, _journal.Events.Count);
        Assert.Equal(deployed, app.LastDeployedTime);
        Assert.Equal(ApplicationStatus.Running, app.ReportedStatus);
    }

    [Fact]
    public async Task Scaling_one_node_up_changes_only_that_node_and_new_replicas_call_the_same_children()
    {
        var path = ChainPath();
        await _controller.ApplyAsync(ConfigOf(App("app", path)));
        var before = ReplicaIds(_controller, "app");
        var leaf = Deployment(_controller, "app", "Leaf").Router.Replicas[0].Instance;

        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Middle", NumReplicas = 3 })));

        var after = ReplicaIds(_controller, "app");
        foreach (var name in new[] { "Leaf", "Side", "Ingress" })
        {
            Assert.Equal(before[name], after[name]);
        }
        Assert.Equal(3, after["Middle"].Length);
        Assert.Equal(before["Middle"][0], after["Middle"][0]);
        Assert.Equal(3, _journal.Count("created Middle"));
        Assert.Equal(1, _journal.Count("created Leaf"));
        var middle = Deployment(_controller, "app", "Middle");
        Assert.Equal(3, middle.NumReplicas);
        Assert.Equal((DeploymentStatus.Healthy, DeploymentStatusTrigger.UpscaleCompleted), (middle.Status, middle.StatusTrigger));

        // The new replicas' handle reaches the running Leaf deployment, not a new one.
        var added = (Tracked)middle.Router.Replicas[2].Instance;
        var handle = Assert.IsType<DeploymentHandle<Tracked>>(Assert.Single(added.Handles));
        Assert.Same(leaf, await handle.Invoke("Self", (t, _) => ValueTask.FromResult<object>(t)));
    }

    [Fact]
    public async Task Scaling_down_removes_the_surplus_from_the_router_first_and_stops_it_after_its_requests_finish()
    {
        var path = Register(() => _kit.Bound("Ingress", _kit.Bound("Leaf")));
        var leafConfig = new DeploymentConfig { Name = "Leaf", NumReplicas = 2, MaxOngoingRequests = 1 };
        await _controller.ApplyAsync(ConfigOf(App("app", path, leafConfig)));
        var leaf = Deployment(_controller, "app", "Leaf");
        var ingressIds = ReplicaIds(_controller, "app")["Ingress"];
        var (kept, surplus) = (leaf.Router.Replicas[0], leaf.Router.Replicas[1]);

        // One held call on each replica (one slot each).
        var handle = new DeploymentHandle<Tracked>(leaf.HandleTarget);
        var release = NewSignal();
        var entered = new[] { NewSignal(), NewSignal() };
        var calls = entered.Select(e => handle.Invoke("Hold", (t, _) => t.HoldAsync(e, release.Task)).AsTask()).ToArray();
        await Task.WhenAll(entered.Select(e => e.Task)).WaitAsync(Guard);
        Assert.Equal(1, surplus.Ongoing);

        await _controller.ApplyAsync(ConfigOf(App("app", path, leafConfig with { NumReplicas = 1 })));

        Assert.Equal([kept], leaf.Router.Replicas);
        Assert.Equal(ReplicaState.Stopping, surplus.State);
        Assert.Equal([surplus], leaf.Draining);
        Assert.False(((Tracked)surplus.Instance).Disposed);
        Assert.Equal(ingressIds, ReplicaIds(_controller, "app")["Ingress"]);
        Assert.Equal(DeploymentStatusTrigger.DownscaleCompleted, leaf.StatusTrigger);

        release.SetResult();
        Assert.All(await Task.WhenAll(calls).WaitAsync(Guard), r => Assert.Equal("", r));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.True(((Tracked)surplus.Instance).Disposed);
        Assert.False(((Tracked)kept.Instance).Disposed);
        Assert.Empty(leaf.Draining);
        Assert.Equal(1, _journal.Count("disposed Leaf"));
    }

    [Fact]
    public async Task Max_ongoing_requests_changes_in_place_and_a_raised_limit_admits_a_waiting_call()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", MaxOngoingRequests = 1, MaxQueuedRequests = 5 })));
        var leaf = Deployment(_controller, "app", "Leaf");
        var replica = leaf.Router.Replicas[0];
        var handle = new DeploymentHandle<Tracked>(leaf.HandleTarget);
        var release = NewSignal();
        var (first, second) = (NewSignal(), NewSignal());
        var running = handle.Invoke("Hold", (t, _) => t.HoldAsync(first, release.Task));
        await first.Task.WaitAsync(Guard);
        var waiting = handle.Invoke("Hold", (t, _) => t.HoldAsync(second, release.Task));
        await Eventually(() => leaf.Router.Queued == 1);

        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", MaxOngoingRequests = 2, MaxQueuedRequests = 7 })));

        // The waiting call took the new slot while the first still runs.
        await second.Task.WaitAsync(Guard);
        Assert.Same(replica, Assert.Single(leaf.Router.Replicas));
        Assert.Equal((2, 2, 7, 7), (replica.MaxOngoingRequests, leaf.MaxOngoingRequests, leaf.MaxQueuedRequests, leaf.Router.MaxQueuedRequests));
        Assert.Equal(1, _journal.Count("created Leaf"));
        release.SetResult();
        await running.AsTask().WaitAsync(Guard);
        await waiting.AsTask().WaitAsync(Guard);
    }

    [Fact]
    public async Task A_changed_user_config_reconfigures_every_replica_without_restarting_it()
    {
        var path = Register(() => _kit.Bound("Ingress", _kit.Bound("Leaf")));
        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2, UserConfig = """{"v":1}""" })));
        var ids = ReplicaIds(_controller, "app");
        var leaves = Deployment(_controller, "app", "Leaf").Router.Replicas.Select(r => (Tracked)r.Instance).ToArray();

        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2, UserConfig = """{"v":2}""" })));

        Assert.Equal(ids, ReplicaIds(_controller, "app"));
        Assert.All(leaves, leaf => Assert.Equal(["""{"v":1}""", """{"v":2}"""], leaf.Configs));
        Assert.Equal(2, _journal.Count("created Leaf"));
        Assert.Equal(0, _journal.Count("disposed Leaf"));
        Assert.Equal("""{"v":2}""", Deployment(_controller, "app", "Leaf").Options.UserConfig);
        // The ingress has no user_config and was left alone.
        Assert.Empty(((Tracked)Deployment(_controller, "app", "Ingress").Router.Replicas[0].Instance).Configs);
    }

    [Fact]
    public async Task A_failing_reconfigure_fails_the_update_keeps_the_replicas_serving_and_a_reapply_retries()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", UserConfig = """{"v":1}""" })));
        _journal.FailReconfigure["Leaf"] = true;
        var updated = ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", UserConfig = """{"v":2}""" }));

        await _controller.ApplyAsync(updated);

        var status = Assert.Single(_controller.GetStatus().Applications);
        Assert.Equal(ApplicationStatus.DeployFailed, status.Status);
        Assert.Contains("failed to apply its user_config: ReconfigureAsync threw System.InvalidOperationException: bad user_config {\"v\":2}", status.Message);
        var leaf = Deployment(_controller, "app", "Leaf");
        Assert.Equal((DeploymentStatus.DeployFailed, ReplicaState.Running), (leaf.Status, leaf.Router.Replicas[0].State));
        Assert.Equal(ApplicationStatus.Running, _controller.Applications[0].Status);

        _journal.FailReconfigure.TryRemove("Leaf", out _);
        await _controller.ApplyAsync(updated);

        Assert.Equal(ApplicationStatus.Running, _controller.GetStatus().Applications[0].Status);
        Assert.Equal(DeploymentStatus.Healthy, leaf.Status);
        Assert.Equal(["""{"v":1}""", """{"v":2}"""], ((Tracked)leaf.Router.Replicas[0].Instance).Configs);
    }

    [Fact]
    public async Task An_app_left_out_is_removed_routes_first_then_its_replicas_parents_first()
    {
        var (a, b) = (ChainPath(), Register(() => _kit.Bound("Front", _kit.Bound("Back"))));
        await _controller.ApplyAsync(ConfigOf(App("a", a), App("b", b)));
        var idsA = ReplicaIds(_controller, "a");
        var routesBefore = _controller.Routes;

        await _controller.ApplyAsync(ConfigOf(App("a", a)));

        Assert.Equal(["a"], _controller.Routes.ApplicationNames);
        Assert.True(routesBefore.Applications.ContainsKey("b"));
        Assert.Equal(idsA, ReplicaIds(_controller, "a"));
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.Equal(["disposed Front", "disposed Back"], _journal.Starting("disposed"));
        Assert.Equal(["a"], _controller.GetStatus().Applications.Select(v => v.Name));
    }

    [Fact]
    public async Task A_new_app_is_deployed_next_to_an_unchanged_one()
    {
        var (a, b) = (ChainPath(), Register(() => _kit.Bound("Front")));
        await _controller.ApplyAsync(ConfigOf(App("a", a)));
        var idsA = ReplicaIds(_controller, "a");

        await _controller.ApplyAsync(ConfigOf(App("b", b), App("a", a)));

        Assert.Equal(["b", "a"], _controller.Routes.ApplicationNames);
        Assert.Equal(idsA, ReplicaIds(_controller, "a"));
        Assert.Equal(1, _journal.Count("created Front"));
        Assert.Equal(1, _journal.Count("created Ingress"));
    }

    [Fact]
    public async Task A_changed_import_path_redeploys_the_app_switches_routes_and_stops_the_old_graph()
    {
        var (v1, v2) = (ChainPath(), Register(() => _kit.Bound("NewIngress", _kit.Bound("NewLeaf"))));
        await _controller.ApplyAsync(ConfigOf(App("app", v1)));
        var old = _controller.Applications[0];

        await _controller.ApplyAsync(ConfigOf(App("app", v2)));

        var app = Assert.Single(_controller.Applications);
        Assert.NotSame(old, app);
        Assert.Equal(["NewLeaf", "NewIngress"], app.Deployments.Select(d => d.Name));
        Assert.Same(app, _controller.Routes.Applications["app"]);
        Assert.True(app.LastDeployedTime >= old.LastDeployedTime);
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.Equal(["disposed Ingress", "disposed Side", "disposed Middle", "disposed Leaf"], _journal.Starting("disposed"));
    }

    [Fact]
    public async Task Changed_args_redeploy_too()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await _controller.ApplyAsync(ConfigOf(App("app", path)));

        await _controller.ApplyAsync(ConfigOf(App("app", path) with { Args = new Dictionary<string, string> { ["n"] = "2" } }));

        Assert.Equal(2, _journal.Count("created Leaf"));
    }

    [Fact]
    public async Task A_redeploy_that_fails_keeps_the_running_version_serving()
    {
        var (v1, v2) = (Register(() => _kit.Bound("Leaf")), Register(() => _kit.Bound("Broken")));
        await _controller.ApplyAsync(ConfigOf(App("app", v1)));
        var old = _controller.Applications[0];
        _journal.FailConstructor["Broken"] = true;

        await _controller.ApplyAsync(ConfigOf(App("app", v2)));

        Assert.Same(old, _controller.Routes.Applications["app"]);
        Assert.Equal(ApplicationStatus.Running, old.Status);
        var status = Assert.Single(_controller.GetStatus().Applications);
        Assert.Equal(ApplicationStatus.DeployFailed, status.Status);
        Assert.StartsWith("The deployment failed to start 3 times in a row. This may be due to a problem with its constructor or initial health check failing. See controller logs for details. Error:" + Environment.NewLine + "Replica 0 of deployment 'Broken' failed to start: System.IO.InvalidDataException: no weights for Broken", status.Message);
        Assert.Equal(status.Message, _controller.FailedApplications["app"]);
        Assert.Equal(0, _journal.Count("disposed Leaf"));
    }

    [Fact]
    public async Task A_failed_redeploy_that_keeps_its_old_prefix_yields_it_to_the_app_the_config_gives_it_to()
    {
        var (v1, v2, other) = (Register(() => _kit.Bound("Leaf")), Register(() => _kit.Bound("Broken")), Register(() => _kit.Bound("Other")));
        await _controller.ApplyAsync(ConfigOf(App("a", v1) with { RoutePrefix = "/x" }));
        var old = _controller.Applications[0];
        _journal.FailConstructor["Broken"] = true;

        // "a" moves to /y with code that fails to start, so its running version stays at /x; "b" is new at /x.
        await _controller.ApplyAsync(ConfigOf(App("a", v2) with { RoutePrefix = "/y" }, App("b", other) with { RoutePrefix = "/x" }));

        var routes = _controller.Routes;
        Assert.Same(old, routes.Applications["a"]);
        Assert.Equal("b", routes.ByRoutePrefix["/x"].Name);
        Assert.Equal(["a", "b"], _controller.GetStatus().Applications.Select(a => a.Name));
        Assert.Equal(ApplicationStatus.DeployFailed, _controller.GetStatus().Applications[0].Status);
        Assert.Equal(ApplicationStatus.Running, _controller.GetStatus().Applications[1].Status);

        // Nothing is left half-applied: the next config applies as usual.
        _journal.FailConstructor.TryRemove("Broken", out _);
        await _controller.ApplyAsync(ConfigOf(App("a", v2) with { RoutePrefix = "/y" }, App("b", other) with { RoutePrefix = "/x" }));
        Assert.Equal(("a", "b"), (_controller.Routes.ByRoutePrefix["/y"].Name, _controller.Routes.ByRoutePrefix["/x"].Name));
        Assert.Equal(ApplicationStatus.Running, _controller.GetStatus().Applications[0].Status);
    }

    [Fact]
    public async Task A_config_naming_an_unknown_deployment_is_rejected_and_nothing_changes()
    {
        var path = ChainPath();
        var other = Register(() => _kit.Bound("Other"));
        await _controller.ApplyAsync(ConfigOf(App("app", path)));
        var ids = ReplicaIds(_controller, "app");
        var routes = _controller.Routes;

        var ex = await Assert.ThrowsAsync<ServeConfigException>(() => _controller.ApplyAsync(ConfigOf(
            App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 3 }, new DeploymentConfig { Name = "Nope" }),
            App("new", other, new DeploymentConfig { Name = "Missing" }))));

        Assert.Equal(
            [
                ("applications[0].deployments[1].name", "Deployment 'Nope' in the config is not part of application 'app'. Its deployments: Leaf, Middle, Side, Ingress."),
                ("applications[1].deployments[0].name", "Deployment 'Missing' in the config is not part of application 'new'. Its deployments: Other."),
            ],
            ex.Errors.Select(e => (e.KeyPath, e.Message)));
        Assert.Same(routes, _controller.Routes);
        Assert.Equal(ids, ReplicaIds(_controller, "app"));
        Assert.Equal(0, _journal.Count("created Other"));
    }

    [Fact]
    public async Task Instance_options_cannot_change_on_a_running_instance_they_are_ignored_with_a_warning()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        var first = ConfigOf(App("app", path)) with { HttpOptions = new HttpOptions { Port = 8001 } };
        await _controller.ApplyAsync(first);

        // As Ray Serve does: options that need a restart are ignored, each named, and the applications applied.
        var ignored = await _controller.ApplyAsync(
            first with { HttpOptions = new HttpOptions { Port = 8002 }, LoggingConfig = new LoggingConfig { LogLevel = "DEBUG" } });

        Assert.Equal(2, ignored.Count);
        Assert.Equal("http_options.port: cannot change while Serve is running (running: 8001; requested: 8002); ignored, restart Serve to change it.", ignored[0]);
        Assert.StartsWith("logging_config.log_level: cannot change while Serve is running", ignored[1]);
        Assert.Equal(["app"], _controller.Routes.ApplicationNames);
        Assert.Equal(8001, _controller.InstanceConfig!.HttpOptions.Port);
        Assert.Equal("INFO", _controller.InstanceConfig.LoggingConfig.LogLevel);

        // A config that does not set http_options (Ray compares only the keys a config sets) applies.
        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2 })));
        Assert.Equal(2, Deployment(_controller, "app", "Leaf").NumReplicas);
        Assert.Equal(8001, _controller.InstanceConfig!.HttpOptions.Port);
    }

    [Fact]
    public async Task A_new_route_prefix_changes_only_the_route_table()
    {
        var path = Register(() => _kit.Bound("Ingress", _kit.Bound("Leaf")));
        await _controller.ApplyAsync(ConfigOf(App("app", path)));
        var old = _controller.Applications[0];

        await _controller.ApplyAsync(ConfigOf(App("app", path) with { RoutePrefix = "/moved" }));

        var app = _controller.Routes.Applications["app"];
        Assert.Equal(("/app", "/moved"), (old.RoutePrefix, app.RoutePrefix));
        Assert.Same(old.Deployments, app.Deployments);
        Assert.Equal(1, _journal.Count("created Ingress"));
    }

    [Fact]
    public async Task Delete_removes_every_app_and_the_instance_keeps_running()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await _controller.ApplyAsync(ConfigOf(App("app", path)));

        await _controller.DeleteAllAsync();

        Assert.True(_controller.Routes.Populated);
        Assert.Empty(_controller.Routes.ApplicationNames);
        await _controller.WhenStoppedAsync().WaitAsync(Guard);
        Assert.Equal(1, _journal.Count("disposed Leaf"));

        await _controller.ApplyAsync(ConfigOf(App("app", path)));
        Assert.Equal(2, _journal.Count("created Leaf"));
    }

    [Fact]
    public async Task A_scale_up_whose_replica_fails_keeps_the_running_replicas_and_reports_deploy_failed()
    {
        var path = Register(() => _kit.Bound("Leaf"));
        await _controller.ApplyAsync(ConfigOf(App("app", path)));
        var leaf = Deployment(_controller, "app", "Leaf");
        var running = leaf.Router.Replicas[0];
        _journal.FailConstructor["Leaf"] = true;

        await _controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Leaf", NumReplicas = 2 })));

        Assert.Equal([running], leaf.Router.Replicas);
        Assert.Equal(1, leaf.NumReplicas);
        Assert.Equal(DeploymentStatus.DeployFailed, leaf.Status);
        Assert.StartsWith("The deployment failed to start 3 times in a row. This may be due to a problem with its constructor or initial health check failing. See controller logs for details. Error:" + Environment.NewLine + "Replica 1 of deployment 'Leaf' failed to start", leaf.Message);
        Assert.Equal(ApplicationStatus.DeployFailed, _controller.GetStatus().Applications[0].Status);

        // Going back to what runs clears the failure.
        await _controller.ApplyAsync(ConfigOf(App("app", path)));
        Assert.Equal((ApplicationStatus.Running, DeploymentStatus.Healthy), (_controller.GetStatus().Applications[0].Status, leaf.Status));
    }
}
