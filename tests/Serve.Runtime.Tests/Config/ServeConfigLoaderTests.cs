using System.Text.Json;
using Serve.Config;
using static Serve.Runtime.Tests.Config.ConfigTestHelpers;

namespace Serve.Runtime.Tests.Config;

public class ServeConfigLoaderTests
{
    [Fact]
    public void Sample_quickstart_config_loads()
    {
        var path = RepoFile("samples", "GrpcQuickstart", "single-app.yaml");
        var config = ServeConfigLoader.LoadFile(path);

        Assert.Equal(ProxyLocation.EveryNode, config.ProxyLocation);
        Assert.Equal("127.0.0.1", config.HttpOptions.Host);
        Assert.Equal(8000, config.HttpOptions.Port);
        Assert.Equal(9000, config.GrpcOptions.Port);
        Assert.Equal(["userdefinedprotos.UserDefinedService"], config.GrpcOptions.GrpcServicerFunctions);
        Assert.True(config.GrpcOptions.ParseServicerFunctions().Single().IsQualified);

        var app = Assert.Single(config.Applications);
        Assert.Equal("app1", app.Name);
        Assert.Equal("/app1", app.RoutePrefix);
        Assert.Equal("GrpcQuickstart.Applications:App1", app.ImportPath);
        Assert.Empty(app.RuntimeEnv);
        Assert.Empty(app.Args);

        var deployment = Assert.Single(app.Deployments);
        Assert.Equal("GrpcDeployment", deployment.Name);
        Assert.Equal(2, deployment.NumReplicas);
        Assert.Equal(5, deployment.MaxOngoingRequests);
        Assert.Null(deployment.MaxQueuedRequests);
        Assert.Null(deployment.UserConfig);
        Assert.Null(deployment.HealthCheckPeriodS);
        Assert.Same(deployment, app.FindDeployment("GrpcDeployment"));
        Assert.Same(app, config.FindApplication("app1"));
    }

    [Fact]
    public void Ray_grpc_guide_config_loads()
    {
        const string Yaml = """
            # config.yaml
            grpc_options:
              port: 9000
              grpc_servicer_functions:
                - user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server
                - user_defined_protos_pb2_grpc.add_ImageClassificationServiceServicer_to_server

            applications:
              - name: app1
                route_prefix: /app1
                import_path: test_deployment_v2:g
                runtime_env: {}

              - name: app2
                route_prefix: /app2
                import_path: test_deployment_v2:g2
                runtime_env: {}
            """;
        var config = ServeConfigLoader.Load(Yaml, "config.yaml");

        var servicers = config.GrpcOptions.ParseServicerFunctions();
        Assert.Equal(["UserDefinedService", "ImageClassificationService"], servicers.Select(s => s.ServiceName));
        Assert.All(servicers, s => Assert.False(s.IsQualified));
        Assert.True(servicers[1].Matches("userdefinedprotos.ImageClassificationService"));

        Assert.Equal(["app1", "app2"], config.Applications.Select(a => a.Name));
        Assert.Equal(["/app1", "/app2"], config.Applications.Select(a => a.RoutePrefix));
        Assert.Equal("test_deployment_v2:g2", config.Applications[1].ImportPath);
        Assert.All(config.Applications, a => Assert.Empty(a.Deployments));
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    [InlineData("~\n")]
    public void Empty_document_gives_defaults_without_applications(string yaml)
    {
        var config = ServeConfigLoader.Load(yaml, "test.yaml");
        AssertDefaults(config);
        Assert.Empty(config.Applications);
    }

    [Fact]
    public void Missing_sections_and_options_get_ray_defaults()
    {
        var config = ServeConfigLoader.Load("applications:\n  - import_path: My.App:Build\n", "test.yaml");
        AssertDefaults(config);

        var app = Assert.Single(config.Applications);
        Assert.Equal("default", app.Name);
        Assert.Equal("/", app.RoutePrefix);
        Assert.Empty(app.Deployments);
        Assert.Empty(app.RuntimeEnv);
        Assert.Empty(app.Args);
    }

    [Fact]
    public void Sections_written_without_a_value_keep_their_defaults()
    {
        var config = ServeConfigLoader.Load("http_options:\ngrpc_options:\nlogging_config:\napplications:\n", "test.yaml");
        AssertDefaults(config);
    }

    private static void AssertDefaults(ServeConfig config)
    {
        Assert.Equal(ProxyLocation.EveryNode, config.ProxyLocation);
        Assert.Equal("127.0.0.1", config.HttpOptions.Host);
        Assert.Equal(8000, config.HttpOptions.Port);
        Assert.Equal("", config.HttpOptions.RootPath);
        Assert.Null(config.HttpOptions.RequestTimeoutS);
        Assert.Equal(90, config.HttpOptions.KeepAliveTimeoutS);
        Assert.Equal(9000, config.GrpcOptions.Port);
        Assert.Empty(config.GrpcOptions.GrpcServicerFunctions);
        Assert.False(config.GrpcOptions.IsEnabled);
        Assert.Null(config.GrpcOptions.RequestTimeoutS);
        Assert.Equal(4 * 1024 * 1024, config.GrpcOptions.MaxReceiveMessageLength);
        Assert.Equal(int.MaxValue, config.GrpcOptions.MaxSendMessageLength);
        Assert.True(config.GrpcOptions.EnableReflection);
        Assert.Equal("INFO", config.LoggingConfig.LogLevel);
        Assert.Null(config.LoggingConfig.LogsDir);
        Assert.Equal(LogEncoding.Text, config.LoggingConfig.Encoding);
        Assert.True(config.LoggingConfig.EnableAccessLog);
    }

    [Fact]
    public void Every_option_is_read()
    {
        const string Yaml = """
            proxy_location: headonly
            http_options:
              host: 0.0.0.0
              port: 8080
              root_path: /serve
              request_timeout_s: 2.5
              keep_alive_timeout_s: 30
            grpc_options:
              port: 9001
              grpc_servicer_functions: [a.B]
              request_timeout_s: 10
              max_receive_message_length: 1048576
              max_send_message_length: 2097152
              enable_reflection: false
            logging_config:
              log_level: debug
              logs_dir: /var/log/serve
              encoding: JSON
              enable_access_log: False
            applications:
              - name: hidden
                route_prefix: ~
                import_path: My.Apps:Hidden
                runtime_env:
                  env_vars: {A: "1"}
                  pip: [torch]
                  working_dir: .
                args:
                  model: resnet50
                  threshold: 0.5
                  verbose: true
                  count: 3
                deployments:
                  - name: Model
                    num_replicas: 3
                    max_ongoing_requests: 10
                    max_queued_requests: -1
                    user_config:
                      threshold: 0.25
                      labels: [cat, dog]
                      quoted: "1"
                      nothing: ~
                      big: 123456789012345678901234567890
                    graceful_shutdown_timeout_s: 0
                    graceful_shutdown_wait_loop_s: 0.5
                    health_check_period_s: 5
                    health_check_timeout_s: 7.5
                  - name: Scalar
                    user_config: 42
            """;
        var config = ServeConfigLoader.Load(Yaml, "test.yaml");

        Assert.Equal(ProxyLocation.HeadOnly, config.ProxyLocation);
        Assert.Equal(new HttpOptions { Host = "0.0.0.0", Port = 8080, RootPath = "/serve", RequestTimeoutS = 2.5, KeepAliveTimeoutS = 30 }, config.HttpOptions);
        var grpc = config.GrpcOptions;
        Assert.Equal((9001, 10.0, 1048576, 2097152, false), (grpc.Port, grpc.RequestTimeoutS!.Value, grpc.MaxReceiveMessageLength, grpc.MaxSendMessageLength, grpc.EnableReflection));
        Assert.Equal(["a.B"], grpc.GrpcServicerFunctions);
        Assert.Equal(new LoggingConfig { LogLevel = "DEBUG", LogsDir = "/var/log/serve", Encoding = LogEncoding.Json, EnableAccessLog = false }, config.LoggingConfig);

        var app = Assert.Single(config.Applications);
        Assert.Null(app.RoutePrefix);
        Assert.Equal("{\"A\":\"1\"}", app.RuntimeEnv["env_vars"]);
        Assert.Equal("[\"torch\"]", app.RuntimeEnv["pip"]);
        Assert.Equal("\".\"", app.RuntimeEnv["working_dir"]);
        Assert.Equal(new Dictionary<string, string> { ["model"] = "resnet50", ["threshold"] = "0.5", ["verbose"] = "true", ["count"] = "3" }, app.Args);

        var model = app.Deployments[0];
        Assert.Equal((3, 10, -1), (model.NumReplicas, model.MaxOngoingRequests, model.MaxQueuedRequests));
        Assert.Equal((0.0, 0.5, 5.0, 7.5), (model.GracefulShutdownTimeoutS!.Value, model.GracefulShutdownWaitLoopS!.Value, model.HealthCheckPeriodS!.Value, model.HealthCheckTimeoutS!.Value));
        Assert.Equal(
            "{\"threshold\":0.25,\"labels\":[\"cat\",\"dog\"],\"quoted\":\"1\",\"nothing\":null,\"big\":123456789012345678901234567890}",
            model.UserConfig);
        using (var doc = JsonDocument.Parse(model.UserConfig!))
        {
            Assert.Equal(0.25, doc.RootElement.GetProperty("threshold").GetDouble());
        }

        Assert.Equal("42", app.Deployments[1].UserConfig);
        Assert.Null(app.Deployments[1].NumReplicas);

        var options = model.ToDeploymentOptions();
        Assert.Equal(("Model", 3, 10, -1), (options.Name, options.NumReplicas, options.MaxOngoingRequests, options.MaxQueuedRequests));
    }

    [Fact]
    public void Load_file_that_does_not_exist_names_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), "serve-config-missing-" + Guid.NewGuid().ToString("N") + ".yaml");
        var ex = Assert.Throws<ServeConfigException>(() => ServeConfigLoader.LoadFile(path));
        Assert.StartsWith(path + ": cannot read the config file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_from_a_file_name_the_file_line_and_column()
    {
        var path = Path.Combine(Path.GetTempPath(), "serve-config-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, "http_options:\n  port: eighty\n");
        try
        {
            var ex = Assert.Throws<ServeConfigException>(() => ServeConfigLoader.LoadFile(path));
            Assert.Equal($"{path}:2:9: http_options.port: must be an integer; got \"eighty\".", ex.Message);
            Assert.Equal((path, 2, 9, "http_options.port"), (ex.SourceName, ex.Line!.Value, ex.Column!.Value, ex.KeyPath));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class ServeConfigLoaderTagTests
{
    [Fact]
    public void Explicit_str_tag_makes_a_string()
    {
        var ex = Assert.Throws<ServeConfigException>(() => ServeConfigLoader.Load("http_options:\n  port: !!str 8000\n", "test.yaml"));
        Assert.Contains("got the string \"8000\"", ex.Message, StringComparison.Ordinal);

        var config = ServeConfigLoader.Load("applications:\n  - import_path: A:b\n    deployments:\n      - name: D\n        user_config: !!str 5\n", "test.yaml");
        Assert.Equal("\"5\"", config.Applications[0].Deployments[0].UserConfig);
    }
}
