using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Dispatch;
using Serve.Runtime.Tests.Control;
using Serve.Runtime.Tests.Dashboard;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Hosting;

/// <summary>
/// <c>serve build</c>: the full config for registered applications, named by Ray's rule (one app: <c>app1</c>
/// at <c>/</c>; several: <c>app1</c>, <c>app2</c>, … at <c>/app1</c>, <c>/app2</c>, …).
/// </summary>
public sealed class BuildCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("serve-build-").FullName;
    private readonly string _service = "buildtests.Svc" + Guid.NewGuid().ToString("N");
    private readonly Journal _journal = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An ingress serving a gRPC service, over a child with code options and a user_config.</summary>
    private string RegisterGraph()
    {
        var kit = new ReconcileKit(_journal);
        var child = kit.Bound("Model").WithOptions(numReplicas: 2, userConfig: """{"threshold": 0.5, "labels": ["a", "true"]}""");
        var template = kit.Definition("Front", children: 1, new DeploymentOptions { MaxOngoingRequests = 7 });
        var front = new DeploymentDefinition(template.Name, "Tests.Build.Front" + Guid.NewGuid().ToString("N"), template.Options, 1, template.Factory, [_service],
            [new GrpcMethodDefinition(_service, "Call", GrpcMethodType.Unary, "google.protobuf.Empty", "google.protobuf.Empty", static (_, _) => ValueTask.CompletedTask)]);
        ServeRegistry.AddDeployment(front);
        return ReconcileKit.Register(() => new Application<Tracked>(front, [child]));
    }

    [Fact]
    public async Task Several_import_paths_are_app1_app2_at_their_own_prefixes_with_every_node_and_its_options()
    {
        var (first, second) = (RegisterGraph(), ReconcileKit.Register(() => new ReconcileKit(_journal).Bound("Solo").WithOptions(maxQueuedRequests: 3)));
        var file = Path.Combine(_directory, "serve.yaml");

        var (exit, output, error) = await CommandLineTests.InvokeAsync("build", first, second, "-o", file);

        Assert.Equal((0, ""), (exit, output));
        Assert.Contains("The auto-generated application names default to `app1`, `app2`", error);
        var text = await File.ReadAllTextAsync(file);
        Assert.StartsWith("# This file was generated using the `serve build` command", text);
        var config = ServeConfigLoader.Load(text, file);

        Assert.Equal(("0.0.0.0", 8000, 9000), (config.HttpOptions.Host, config.HttpOptions.Port, config.GrpcOptions.Port));
        Assert.Equal([_service], config.GrpcOptions.GrpcServicerFunctions);
        Assert.Equal(("INFO", LogEncoding.Text, true, null), (config.LoggingConfig.LogLevel, config.LoggingConfig.Encoding, config.LoggingConfig.EnableAccessLog, config.LoggingConfig.LogsDir));
        Assert.Equal([("app1", "/app1", first), ("app2", "/app2", second)], config.Applications.Select(a => (a.Name, a.RoutePrefix!, a.ImportPath)));
        Assert.All(config.Applications, a => Assert.Empty(a.RuntimeEnv));
        Assert.Contains("runtime_env: {}", text);

        var app1 = config.Applications[0].Deployments;
        Assert.Equal([("Model", 2, 5, -1), ("Front", 1, 7, -1)],
            app1.Select(d => (d.Name, d.NumReplicas!.Value, d.MaxOngoingRequests!.Value, d.MaxQueuedRequests!.Value)));
        Assert.Equal("""{"threshold":0.5,"labels":["a","true"]}""", app1[0].UserConfig);
        Assert.Null(app1[1].UserConfig);
        Assert.Equal([("Solo", 1, 5, 3)], config.Applications[1].Deployments.Select(d => (d.Name, d.NumReplicas!.Value, d.MaxOngoingRequests!.Value, d.MaxQueuedRequests!.Value)));
    }

    [Fact]
    public async Task One_import_path_is_app1_at_the_root_printed_when_no_file_is_given_and_deploys_as_is()
    {
        var path = RegisterGraph();

        var (exit, output, _) = await CommandLineTests.InvokeAsync("build", path);

        Assert.Equal(0, exit);
        var config = ServeConfigLoader.Load(output, "stdout");
        var app = Assert.Single(config.Applications);
        Assert.Equal(("app1", "/"), (app.Name, app.RoutePrefix));

        // The file works as is: every name it lists is a node, and its gRPC service is served.
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        await controller.ApplyAsync(config);
        Assert.Empty(controller.FailedApplications);
        var running = controller.Applications.Single();
        Assert.Equal(["Model", "Front"], running.Deployments.Select(d => d.Name));
        Assert.Equal($"/{_service}/Call", Assert.Single(running.GrpcMethods.Keys));
        Assert.Equal(2, _journal.Count("""reconfigured Model {"threshold":0.5,"labels":["a","true"]}"""));
        await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task An_unknown_import_path_fails_with_the_registrys_message()
    {
        var (exit, output, error) = await CommandLineTests.InvokeAsync("build", "Nowhere.App:Missing");

        Assert.Equal((1, ""), (exit, output));
        Assert.StartsWith("Import path 'Nowhere.App:Missing' names no application builder or deployment.", error);
    }
}
