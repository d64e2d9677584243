using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Hosting;
using static Serve.Runtime.Tests.Composition.CompositionKit;
using static Serve.Runtime.Tests.Control.ReconcileKit;

namespace Serve.Runtime.Tests.Control;

/// <summary>user_config at start: applied to each replica before it takes a call (Ray's reconfigure).</summary>
public sealed class UserConfigTests
{
    private readonly Journal _journal = new();
    private readonly ReconcileKit _kit;

    public UserConfigTests() => _kit = new ReconcileKit(_journal);

    [Fact]
    public async Task Each_replica_is_reconfigured_before_its_first_call()
    {
        await using var app = await LocalTestingMode.RunAsync(_kit.Bound("Model").WithOptions(numReplicas: 2, userConfig: """{"threshold": 0.5}"""));

        Assert.Equal(["created Model", "reconfigured Model {\"threshold\":0.5}", "created Model", "reconfigured Model {\"threshold\":0.5}"], _journal.Events);
        var seen = await app.Handle.Invoke("Hold", (t, _) => t.HoldAsync(NewSignal(), Task.CompletedTask));
        Assert.Equal("""{"threshold":0.5}""", seen);
    }

    [Fact]
    public async Task The_config_entry_overrides_the_codes_user_config()
    {
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        var path = Register(() => _kit.Bound("Model").WithOptions(userConfig: """{"v": "code"}"""));

        await controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Model", UserConfig = """{"v":"config"}""" })));

        Assert.Equal(["created Model", "reconfigured Model {\"v\":\"config\"}"], _journal.Events);
        await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
    }

    [Fact]
    public async Task A_user_config_on_a_deployment_without_IReconfigurable_fails_the_deploy()
    {
        var plain = new Plain();
        var app = Bind<Plain>(Define("Plain", _ => plain)).WithOptions(userConfig: "{}");

        var ex = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => LocalTestingMode.RunAsync(app));

        Assert.Equal(
            "Deployment 'Plain' has a user_config, but its class Tests.Composition.Plain does not implement Serve.IReconfigurable. "
            + "Implement ReconfigureAsync(JsonElement userConfig, CancellationToken cancellationToken) to receive it, or remove the user_config.",
            ex.Message);
        Assert.True(plain.Disposed);
    }

    [Fact]
    public async Task A_missing_IReconfigurable_in_a_served_app_is_its_deploy_failure()
    {
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        var path = Register(() => Bind<Plain>(Define("Plain", _ => new Plain())));

        await controller.ApplyAsync(ConfigOf(App("app", path, new DeploymentConfig { Name = "Plain", UserConfig = "1" })));

        Assert.StartsWith("Deployment 'Plain' has a user_config, but its class", controller.FailedApplications["app"]);
        Assert.Equal(ApplicationStatus.DeployFailed, Assert.Single(controller.GetStatus().Applications).Status);
        Assert.Empty(controller.Routes.ApplicationNames);
    }

    [Fact]
    public async Task A_reconfigure_that_throws_fails_the_replicas_start_and_stops_what_started()
    {
        _journal.FailReconfigure["Model"] = true;
        var app = _kit.Bound("Ingress", _kit.Bound("Leaf"), _kit.Bound("Model").WithOptions(userConfig: "[1]"));

        var ex = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => LocalTestingMode.RunAsync(app));

        Assert.StartsWith("The deployment failed to start 3 times in a row. This may be due to a problem with its constructor or initial health check failing. See controller logs for details. Error:" + Environment.NewLine + "Replica 0 of deployment 'Model' failed to start: ReconfigureAsync(user_config) threw System.InvalidOperationException: bad user_config [1]", ex.Message);
        // Ray retries a replica that fails to start: three attempts for one replica, each instance disposed.
        Assert.Equal(["created Leaf", "created Model", "reconfigured Model [1]", "disposed Model", "created Model", "reconfigured Model [1]", "disposed Model",
            "created Model", "reconfigured Model [1]", "disposed Model", "disposed Leaf"], _journal.Events);
    }
}
