using Serve.Config;

namespace Serve.Runtime.Tests.Config;

public class ServeConfigValidateTests
{
    private static ServeConfig Valid() => new()
    {
        GrpcOptions = new GrpcOptions { GrpcServicerFunctions = ["userdefinedprotos.UserDefinedService"] },
        Applications =
        [
            new ApplicationConfig
            {
                Name = "app1",
                RoutePrefix = "/app1",
                ImportPath = "My.Apps:App1",
                Deployments = [new DeploymentConfig { Name = "D", NumReplicas = 2 }],
            },
            new ApplicationConfig { Name = "app2", RoutePrefix = null, ImportPath = "My.Apps.App2" },
        ],
    };

    [Fact]
    public void Valid_config_built_in_code_passes()
    {
        Valid().Validate();
        new ServeConfig().Validate();
    }

    [Fact]
    public void Invalid_config_built_in_code_names_every_problem_by_key_path()
    {
        var config = Valid() with
        {
            HttpOptions = new HttpOptions { Port = 70000 },
            Applications =
            [
                Valid().Applications[0] with { Deployments = [new DeploymentConfig { Name = "D", NumReplicas = 0, UserConfig = "{not json" }] },
                Valid().Applications[1] with { Name = "app1" },
            ],
        };

        var ex = Assert.Throws<ServeConfigException>(config.Validate);
        Assert.Equal(
            ["http_options.port", "applications[0].deployments[0].num_replicas", "applications[0].deployments[0].user_config", "applications[1].name"],
            ex.Errors.Select(e => e.KeyPath));
        Assert.All(ex.Errors, e => Assert.Null(e.Line));
        Assert.Equal("ServeConfig: applications[0].deployments[0].num_replicas: must be an integer from 1 to 10,000; got 0.", ex.Errors[1].ToString());
    }

    [Fact]
    public void Loader_and_validate_share_the_rules_and_messages()
    {
        var loaded = Assert.Throws<ServeConfigException>(() => ServeConfigLoader.Load(
            "applications:\n  - import_path: A:b\n    deployments:\n      - name: D\n        max_queued_requests: 0\n", "test.yaml"));
        var built = Assert.Throws<ServeConfigException>(() => new ServeConfig
        {
            Applications = [new ApplicationConfig { ImportPath = "A:b", Deployments = [new DeploymentConfig { Name = "D", MaxQueuedRequests = 0 }] }],
        }.Validate());

        Assert.Equal(loaded.Errors.Single().Message, built.Errors.Single().Message);
        Assert.Equal(loaded.KeyPath, built.KeyPath);
    }

    [Fact]
    public void Parts_validate_on_their_own_with_relative_paths()
    {
        var ex = Assert.Throws<ServeConfigException>(() => new DeploymentConfig { Name = "D", HealthCheckTimeoutS = 0 }.Validate());
        Assert.Equal("health_check_timeout_s", ex.KeyPath);
        Assert.StartsWith("DeploymentConfig: health_check_timeout_s:", ex.Message, StringComparison.Ordinal);

        Assert.Throws<ServeConfigException>(() => new LoggingConfig { LogLevel = "TRACE" }.Validate());
        new LoggingConfig { LogLevel = "warning" }.Validate();
        Assert.Throws<ServeConfigException>(() => new GrpcOptions { GrpcServicerFunctions = ["not valid"] }.Validate());
        Assert.Throws<ServeConfigException>(() => new ApplicationConfig { ImportPath = "x" }.Validate());
        Assert.Throws<ServeConfigException>(() => new HttpOptions { KeepAliveTimeoutS = 0 }.Validate());
    }

    [Fact]
    public void Null_members_from_code_are_errors_not_crashes()
    {
        var config = new ServeConfig
        {
            HttpOptions = null!,
            Applications = [null!, new ApplicationConfig { ImportPath = "A:b", Deployments = null! }],
        };
        var ex = Assert.Throws<ServeConfigException>(config.Validate);
        Assert.Equal(["http_options", "applications[0]", "applications[1].deployments"], ex.Errors.Select(e => e.KeyPath));
    }

    [Fact]
    public void Config_types_are_immutable_records_with_defaults()
    {
        var a = new DeploymentConfig { Name = "D" };
        var b = a with { NumReplicas = 3 };
        Assert.Null(a.NumReplicas);
        Assert.Equal(3, b.NumReplicas);
        Assert.Equal(new HttpOptions(), new HttpOptions());
        Assert.Equal(DeploymentConfig.DefaultMaxOngoingRequests, 5);
        Assert.Equal((10.0, 30.0, 2.0, 20.0), (DeploymentConfig.DefaultHealthCheckPeriodS, DeploymentConfig.DefaultHealthCheckTimeoutS, DeploymentConfig.DefaultGracefulShutdownWaitLoopS, DeploymentConfig.DefaultGracefulShutdownTimeoutS));
    }
}
