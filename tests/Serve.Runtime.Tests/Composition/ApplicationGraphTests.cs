using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Dispatch;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Composition;

/// <summary>Deploying an application graph: which deployments, their names, options, start and stop order.</summary>
public sealed class ApplicationGraphTests
{
    /// <summary>A deployment that takes any number of child handles and records its life.</summary>
    private sealed class Node(string name, object?[] handles, ConcurrentQueue<string> log) : IDisposable
    {
        public string Name => name;

        public object?[] Handles => handles;

        public void Dispose() => log.Enqueue("disposed " + name);
    }

    private readonly ConcurrentQueue<string> _log = new();

    private DeploymentDefinition Definition(string name, int children = 0, DeploymentOptions? options = null)
        => Define(name, args =>
        {
            _log.Enqueue("created " + name);
            return new Node(name, args, _log);
        }, options, children);

    // A fresh object?[]: an Application[] passed as the arguments would reject the handles (array covariance).
    private Application<Node> Bound(string name, params Application[] children)
        => Bind<Node>(Definition(name, children.Length), [.. children]);

    private static ServeController Controller() => new(NullLogger<ServeController>.Instance);

    /// <summary>A config with one application built by <paramref name="build"/>, registered under a fresh import path.</summary>
    private static ServeConfig Config(Func<Application> build, IReadOnlyList<DeploymentConfig>? deployments = null, params ApplicationConfig[] others)
    {
        var importPath = "Tests.Composition.Graphs:App" + Guid.NewGuid().ToString("N");
        ServeRegistry.AddApplicationBuilder(importPath, _ => build());
        return new ServeConfig
        {
            Applications = [new ApplicationConfig { Name = "app", RoutePrefix = "/app", ImportPath = importPath, Deployments = deployments ?? [] }, .. others],
        };
    }

    private static string[] Names(ApplicationGraph graph) => graph.Nodes.Select(n => n.Name).ToArray();

    [Fact]
    public void Deployments_are_listed_children_first_in_argument_order()
    {
        var graph = ApplicationGraph.Build(Bound("Ingress", Bound("Middle", Bound("Leaf")), Bound("Side")));

        Assert.Equal(["Leaf", "Middle", "Side", "Ingress"], Names(graph));
        Assert.Equal("Ingress", graph.Ingress.Name);
        Assert.Empty(graph.Renames);
    }

    [Fact]
    public void The_same_bound_deployment_reached_twice_is_one_deployment()
    {
        var shared = Bound("Shared");
        var graph = ApplicationGraph.Build(Bound("Ingress", Bound("Left", shared), Bound("Right", shared), shared));

        Assert.Equal(["Shared", "Left", "Right", "Ingress"], Names(graph));
        Assert.Same(shared, graph.Nodes[0].Application);
    }

    [Fact]
    public void Distinct_deployments_with_one_name_get_suffixes_in_the_order_ray_names_them()
    {
        // Ray's build_app names a node after its children: the children are Model and Model_1, the ingress Model_2.
        var graph = ApplicationGraph.Build(Bound("Model", Bound("Model"), Bound("Model")));

        Assert.Equal(["Model", "Model_1", "Model_2"], Names(graph));
        Assert.Equal([new ApplicationGraph.Rename("Model", "Model_1"), new ApplicationGraph.Rename("Model", "Model_2")], graph.Renames);
    }

    [Fact]
    public void A_suffix_already_taken_is_skipped()
    {
        var named = Bound("M").WithOptions(name: "M_1");
        var graph = ApplicationGraph.Build(Bound("Root", named, Bound("M"), Bound("M")));

        Assert.Equal(["M_1", "M", "M_2", "Root"], Names(graph));
    }

    [Fact]
    public void A_cycle_is_reported_instead_of_overflowing_the_stack()
    {
        var arguments = new object?[1];
        var loop = Bind<Node>(Definition("Loop", 1), arguments);
        arguments[0] = Bound("Middle", loop);

        var ex = Assert.ThrowsAny<InvalidOperationException>(() => ApplicationGraph.Build(loop));
        Assert.Equal("The deployment graph has a cycle: Loop -> Middle -> Loop.", ex.Message);
    }

    [Fact]
    public async Task Children_start_before_parents_and_parents_get_handles_to_them()
    {
        var controller = Controller();
        await controller.ApplyAsync(Config(() => Bound("Ingress", Bound("Middle", Bound("Leaf")))));

        Assert.False(controller.FailedApplications.TryGetValue("app", out var failure), failure);
        var app = Assert.Single(controller.Applications);
        Assert.Equal(["Leaf", "Middle", "Ingress"], app.Deployments.Select(d => d.Name));
        Assert.Same(app.Deployments[^1], app.Ingress);
        Assert.Same(app.Ingress, controller.Routes.Applications["app"].Ingress);
        Assert.Equal(["created Leaf", "created Middle", "created Ingress"], _log);

        var middle = (Node)app.Deployments[1].Router.Replicas[0].Instance;
        var leafHandle = Assert.IsType<DeploymentHandle<Node>>(Assert.Single(middle.Handles));
        Assert.Equal(("app", "Leaf"), (leafHandle.ApplicationName, leafHandle.DeploymentName));
        Assert.Equal("Leaf", await leafHandle.Invoke("Name", (n, _) => ValueTask.FromResult(n.Name)));

        await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_diamond_deploys_the_shared_child_once_and_both_parents_call_the_same_replica()
    {
        var controller = Controller();
        await controller.ApplyAsync(Config(() =>
        {
            var shared = Bound("Shared");
            return Bound("Ingress", Bound("Left", shared), Bound("Right", shared));
        }));

        var app = Assert.Single(controller.Applications);
        Assert.Equal(["Shared", "Left", "Right", "Ingress"], app.Deployments.Select(d => d.Name));
        Assert.Single(_log, entry => entry == "created Shared");
        var viaLeft = (DeploymentHandle<Node>)((Node)app.Deployments[1].Router.Replicas[0].Instance).Handles[0]!;
        var viaRight = (DeploymentHandle<Node>)((Node)app.Deployments[2].Router.Replicas[0].Instance).Handles[0]!;
        var shared = app.Deployments[0].Router.Replicas[0].Instance;
        Assert.Same(shared, await viaLeft.Invoke("Self", (n, _) => ValueTask.FromResult<object>(n)));
        Assert.Same(shared, await viaRight.Invoke("Self", (n, _) => ValueTask.FromResult<object>(n)));

        await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task The_log_counts_the_apps_deployments_and_warns_about_renames()
    {
        var logger = new ListLogger();
        var controller = new ServeController(logger);
        var config = Config(() => Bound("Model", Bound("Model"), Bound("Model")));

        await controller.ApplyAsync(config);

        var importPath = config.Applications[0].ImportPath;
        Assert.Equal(
        [
            (LogLevel.Warning, "App 'app': there are multiple deployments with the same name 'Model'. Renaming one to 'Model_1'."),
            (LogLevel.Warning, "App 'app': there are multiple deployments with the same name 'Model'. Renaming one to 'Model_2'."),
            (LogLevel.Information, $"Deployed app 'app' from '{importPath}': 3 deployment(s), replicas Model=1, Model_1=1, Model_2=1; ingress 'Model_2' with 0 gRPC method(s)."),
        ], logger.Entries);
        await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    private sealed class ListLogger : ILogger<ServeController>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task A_config_entry_overrides_the_options_of_the_one_node_it_names()
    {
        var controller = Controller();
        await controller.ApplyAsync(Config(() => Bound("Model", Bound("Model"), Bound("Model")), [new DeploymentConfig { Name = "Model_1", NumReplicas = 3 }]));

        var app = Assert.Single(controller.Applications);
        Assert.Equal([("Model", 1), ("Model_1", 3), ("Model_2", 1)], app.Deployments.Select(d => (d.Name, d.Router.Replicas.Count)));
        Assert.Equal([1, 3, 1], app.Deployments.Select(d => d.NumReplicas));
        // Three replicas of Model_1, one each of the others.
        Assert.Equal(5, _log.Count(entry => entry == "created Model"));

        await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task Options_apply_attribute_then_code_then_config()
    {
        var attribute = new DeploymentOptions { NumReplicas = 1, MaxOngoingRequests = 2, MaxQueuedRequests = 7 };
        Application Build() => Bind<Node>(Definition("Leaf", options: attribute)).WithOptions(numReplicas: 2, maxOngoingRequests: 3);

        var codeOnly = Controller();
        await codeOnly.ApplyAsync(Config(Build));
        var configured = Controller();
        await configured.ApplyAsync(Config(Build, [new DeploymentConfig { Name = "Leaf", MaxOngoingRequests = 4 }]));

        var fromCode = codeOnly.Applications[0].Ingress;
        Assert.Equal((2, 3, 7), (fromCode.NumReplicas, fromCode.MaxOngoingRequests, fromCode.MaxQueuedRequests));
        var fromConfig = configured.Applications[0].Ingress;
        Assert.Equal((2, 4, 7), (fromConfig.NumReplicas, fromConfig.MaxOngoingRequests, fromConfig.MaxQueuedRequests));
        Assert.All(fromConfig.Router.Replicas, r => Assert.Equal(4, r.MaxOngoingRequests));

        await codeOnly.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        await configured.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_config_entry_naming_no_deployment_rejects_the_whole_config_with_the_deployment_names()
    {
        var controller = Controller();
        var healthy = Config(() => Bound("Other"));
        var config = Config(() => Bound("Model", Bound("Model"), Bound("Leaf")), [new DeploymentConfig { Name = "Nope", NumReplicas = 2 }],
            healthy.Applications[0] with { Name = "healthy", RoutePrefix = "/healthy" });

        var ex = await Assert.ThrowsAsync<ServeConfigException>(() => controller.ApplyAsync(config));

        Assert.Equal("applications[0].deployments[0].name", ex.KeyPath);
        Assert.Equal("config: applications[0].deployments[0].name: Deployment 'Nope' in the config is not part of application 'app'. Its deployments: Model, Leaf, Model_1.", ex.Message);
        // Nothing started, not even the valid app.
        Assert.Empty(_log);
        Assert.False(controller.Routes.Populated);
    }

    [Fact]
    public async Task A_replica_that_fails_to_start_fails_the_app_and_stops_the_replicas_already_started()
    {
        var controller = Controller();
        var bad = Bind<Node>(Define("Bad", _ => throw new InvalidOperationException("no GPU")));
        await controller.ApplyAsync(Config(() => Bound("Ingress", Bound("Good"), bad)));

        Assert.StartsWith("The deployment failed to start 3 times in a row. This may be due to a problem with its constructor or initial health check failing. See controller logs for details. Error:" + Environment.NewLine + "Replica 0 of deployment 'Bad' failed to start: System.InvalidOperationException: no GPU", controller.FailedApplications["app"]);
        Assert.Equal(["created Good", "disposed Good"], _log);
        Assert.Empty(controller.Applications);
    }

    [Fact]
    public async Task Stopping_drains_the_ingress_first_while_its_requests_can_still_call_children()
    {
        var controller = Controller();
        await controller.ApplyAsync(Config(() => Bound("Ingress", Bound("Leaf"))));
        var app = Assert.Single(controller.Applications);
        var ingress = new DeploymentHandle<Node>(app.Ingress.HandleTarget);
        var entered = NewSignal();
        var proceed = NewSignal();

        var inFlight = ingress.Invoke("Relay", async (node, ct) =>
        {
            entered.SetResult();
            await proceed.Task;
            var leaf = (DeploymentHandle<Node>)node.Handles[0]!;
            return "ingress(" + await leaf.Invoke("Name", (n, _) => ValueTask.FromResult(n.Name), ct) + ")";
        });
        await entered.Task;

        var stopping = controller.StopAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        // Stopping waits for the ingress's running request; the leaf must still be up when it calls.
        Assert.DoesNotContain("disposed Leaf", _log);
        proceed.SetResult();

        Assert.Equal("ingress(Leaf)", await inFlight);
        await stopping;
        Assert.Equal(["disposed Ingress", "disposed Leaf"], _log.Where(e => e.StartsWith("disposed", StringComparison.Ordinal)));
    }
}
