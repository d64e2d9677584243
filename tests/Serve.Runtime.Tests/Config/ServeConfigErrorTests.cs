using Serve.Config;
using static Serve.Runtime.Tests.Config.ConfigTestHelpers;

namespace Serve.Runtime.Tests.Config;

public class ServeConfigErrorTests
{
    private static ServeConfigException DeploymentOptionFails(string option) => LoadFails(WithDeploymentOption(option));

    [Fact]
    public void Unknown_key_suggests_the_near_miss()
    {
        var ex = DeploymentOptionFails("num_replica: 2");
        var error = AssertSingleError(ex, "applications[0].deployments[1].num_replica", 9,
            "unknown key \"num_replica\"", "Did you mean \"num_replicas\"?", "Allowed keys: name, num_replicas, max_ongoing_requests");
        Assert.Equal(9, error.Column);
        Assert.StartsWith("test.yaml:9:9: applications[0].deployments[1].num_replica: unknown key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_in_another_spelling_suggests_the_snake_case_key()
    {
        var ex = DeploymentOptionFails("maxOngoingRequests: 2");
        AssertSingleError(ex, "applications[0].deployments[1].maxOngoingRequests", 9, "Did you mean \"max_ongoing_requests\"?");
    }

    [Fact]
    public void Unknown_top_level_key_suggests_the_near_miss()
    {
        var ex = LoadFails("proxy_location: EveryNode\naplications: []\n");
        AssertSingleError(ex, "aplications", 2, "Did you mean \"applications\"?");
    }

    [Fact]
    public void Unknown_key_far_from_any_lists_the_allowed_keys_only()
    {
        var ex = LoadFails("http_options:\n  hostname_override: x\n");
        AssertSingleError(ex, "http_options.hostname_override", 2, "Allowed keys: host, port, root_path, request_timeout_s, keep_alive_timeout_s, max_request_body_size, request_body_memory_limit.");
        Assert.DoesNotContain("Did you mean", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("autoscaling_config: {policy: {policy_function: 'my.module:scale'}}", "applications[0].deployments[1].autoscaling_config.policy", "cannot load")]
    [InlineData("autoscaling_config: {target_num_ongoing_requests_per_replica: 2}", "applications[0].deployments[1].autoscaling_config.target_num_ongoing_requests_per_replica", "use target_ongoing_requests")]
    [InlineData("ray_actor_options: {num_cpus: 1}", "applications[0].deployments[1].ray_actor_options", "does not support yet")]
    [InlineData("max_concurrent_queries: 3", "applications[0].deployments[1].max_concurrent_queries", "use max_ongoing_requests")]
    public void Ray_options_that_are_not_supported_say_so(string option, string path, string fragment)
        => AssertSingleError(DeploymentOptionFails(option), path, 9, fragment);

    [Fact]
    public void Auto_num_replicas_is_autoscaling_with_rays_defaults()
    {
        var d2 = ServeConfigLoader.Load(ConfigTestHelpers.WithDeploymentOption("num_replicas: auto"), "test.yaml").Applications[0].Deployments[1];
        Assert.True(d2.NumReplicasAuto);
        Assert.Null(d2.NumReplicas);
        Assert.Null(d2.AutoscalingConfig);
    }

    [Fact]
    public void A_fixed_num_replicas_with_an_autoscaling_config_is_refused_with_rays_message()
        => AssertSingleError(LoadFails(ConfigTestHelpers.WithDeploymentOption("num_replicas: 2\n        autoscaling_config: {max_replicas: 3}")),
            "applications[0].deployments[1].num_replicas", 9, "Manually setting num_replicas is not allowed when autoscaling_config is provided.");

    [Theory]
    [InlineData("{min_replicas: 3, max_replicas: 2}", "max_replicas (2) must be greater than or equal to min_replicas (3)!")]
    [InlineData("{min_replicas: 2, initial_replicas: 1, max_replicas: 3}", "min_replicas (2) must be less than or equal to initial_replicas (1)!")]
    [InlineData("{initial_replicas: 4, max_replicas: 3}", "max_replicas (3) must be greater than or equal to initial_replicas (4)!")]
    public void Autoscaling_bounds_are_checked_with_rays_messages(string section, string message)
        => AssertSingleError(DeploymentOptionFails("autoscaling_config: " + section), "applications[0].deployments[1].autoscaling_config.max_replicas", 9, message);

    [Theory]
    [InlineData("min_replicas: -1", "min_replicas", "must be an integer from 0 to 10,000; got -1.")]
    [InlineData("max_replicas: 0", "max_replicas", "must be an integer from 1 to 10,000; got 0.")]
    [InlineData("target_ongoing_requests: 0", "target_ongoing_requests", "must be a number > 0; got 0.")]
    [InlineData("target_ongoing_requests: many", "target_ongoing_requests", "must be a number; got \"many\".")]
    [InlineData("upscaling_factor: -2", "upscaling_factor", "must be a number > 0; got -2.")]
    [InlineData("look_back_period_s: 0", "look_back_period_s", "must be a number of seconds > 0; got 0.")]
    [InlineData("downscale_delay_s: -1", "downscale_delay_s", "must be a number of seconds ≥ 0; got -1.")]
    [InlineData("aggregation_function: median", "aggregation_function", "must be one of mean, max, min; got \"median\".")]
    public void Autoscaling_values_are_checked(string option, string key, string message)
        => AssertSingleError(DeploymentOptionFails("autoscaling_config: {" + option + "}"), "applications[0].deployments[1].autoscaling_config." + key, 9, message);

    [Theory]
    [InlineData("target_capacity: 101", "must be a number from 0 to 100 (percent); got 101.")]
    [InlineData("target_capacity: -5", "must be a number from 0 to 100 (percent); got -5.")]
    public void Target_capacity_is_a_percentage(string option, string message)
        => AssertSingleError(LoadFails(option + "\n" + ConfigTestHelpers.WithDeploymentOption("num_replicas: 1")), "target_capacity", 1, message);

    [Theory]
    [InlineData("num_replicas: abc", "num_replicas", "must be an integer; got \"abc\".")]
    [InlineData("num_replicas: \"2\"", "num_replicas", "must be an integer; got the string \"2\".")]
    [InlineData("num_replicas: [1, 2]", "num_replicas", "must be an integer; got a list.")]
    [InlineData("max_ongoing_requests: 2.5", "max_ongoing_requests", "must be an integer; got \"2.5\".")]
    [InlineData("num_replicas: 99999999999", "num_replicas", "must be an integer from -2147483648 to 2147483647; got 99999999999.")]
    [InlineData("health_check_period_s: ten", "health_check_period_s", "must be a number (of seconds); got \"ten\".")]
    [InlineData("health_check_timeout_s: .inf", "health_check_timeout_s", "must be a finite number of seconds; got .inf.")]
    [InlineData("max_queued_requests: {a: 1}", "max_queued_requests", "must be an integer; got a mapping.")]
    public void Wrong_types_name_the_key_and_what_is_allowed(string option, string key, string message)
        => AssertSingleError(DeploymentOptionFails(option), "applications[0].deployments[1]." + key, 9, message);

    [Theory]
    [InlineData("num_replicas: 0", "num_replicas", "must be an integer from 1 to 10,000; got 0.")]
    [InlineData("num_replicas: 10001", "num_replicas", "must be an integer from 1 to 10,000; got 10001.")]
    [InlineData("max_ongoing_requests: -3", "max_ongoing_requests", "must be an integer ≥ 1; got -3.")]
    [InlineData("max_queued_requests: 0", "max_queued_requests", "must be -1 (unbounded) or an integer ≥ 1; got 0.")]
    [InlineData("graceful_shutdown_timeout_s: -1", "graceful_shutdown_timeout_s", "must be a number of seconds ≥ 0; got -1.")]
    [InlineData("graceful_shutdown_wait_loop_s: 0", "graceful_shutdown_wait_loop_s", "must be a number of seconds > 0; got 0.")]
    [InlineData("health_check_period_s: 0", "health_check_period_s", "must be a number of seconds > 0; got 0.")]
    [InlineData("health_check_timeout_s: -0.5", "health_check_timeout_s", "must be a number of seconds > 0; got -0.5.")]
    public void Out_of_range_values_name_the_key_line_and_range(string option, string key, string message)
    {
        var ex = DeploymentOptionFails(option);
        var error = AssertSingleError(ex, "applications[0].deployments[1]." + key, 9, message);
        Assert.Equal(9 + key.Length + 2, error.Column); // the value's column
    }

    [Theory]
    [InlineData("http_options: [1, 2]\n", "http_options", 1, "http_options must be a mapping (key: value lines); got a list.")]
    [InlineData("http_options: 8000\n", "http_options", 1, "http_options must be a mapping (key: value lines); got \"8000\".")]
    [InlineData("applications:\n  name: app1\n", "applications", 2, "must be a list of applications; got a mapping.")]
    [InlineData("applications:\n  - just-a-string\n", "applications[0]", 2, "an application must be a mapping (key: value lines); got \"just-a-string\".")]
    [InlineData("applications:\n  -\n", "applications[0]", 2, "an application must be a mapping")]
    [InlineData("grpc_options:\n  grpc_servicer_functions: a.B\n", "grpc_options.grpc_servicer_functions", 2, "must be a list of gRPC service names; got \"a.B\".")]
    [InlineData("applications:\n  - import_path: A:b\n    runtime_env: [x]\n", "applications[0].runtime_env", 3, "runtime_env must be a mapping")]
    [InlineData("applications:\n  - import_path: A:b\n    args: x=1\n", "applications[0].args", 3, "args must be a mapping")]
    [InlineData("applications:\n  - import_path: A:b\n    deployments:\n      - D1\n", "applications[0].deployments[0]", 4, "a deployment's options must be a mapping")]
    public void Wrong_shapes_are_reported(string yaml, string path, int line, string message)
        => AssertSingleError(LoadFails(yaml), path, line, message);

    [Theory]
    [InlineData("http_options:\n  port: 70000\n", "http_options.port", "must be a port number from 0 to 65535")]
    [InlineData("http_options:\n  root_path: serve\n", "http_options.root_path", "must be empty or start with \"/\"")]
    [InlineData("http_options:\n  request_timeout_s: 0\n", "http_options.request_timeout_s", "must be a number of seconds > 0; got 0.")]
    [InlineData("http_options:\n  host: \"\"\n", "http_options.host", "must be a non-empty host name")]
    [InlineData("grpc_options:\n  port: -1\n", "grpc_options.port", "must be a port number from 0 to 65535")]
    [InlineData("grpc_options:\n  max_receive_message_length: 0\n", "grpc_options.max_receive_message_length", "must be an integer ≥ 1 (bytes); got 0.")]
    [InlineData("grpc_options:\n  enable_reflection: yes\n", "grpc_options.enable_reflection", "must be true or false (YAML 1.1 spellings such as yes/no/on/off are not booleans here); got \"yes\".")]
    [InlineData("logging_config:\n  log_level: VERBOSE\n", "logging_config.log_level", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got \"VERBOSE\".")]
    [InlineData("logging_config:\n  encoding: XML\n", "logging_config.encoding", "must be TEXT or JSON; got \"XML\".")]
    [InlineData("logging_config:\n  enable_access_log: \"true\"\n", "logging_config.enable_access_log", "must be true or false; got the string \"true\".")]
    [InlineData("x: 1\nproxy_location: Everywhere\n", "proxy_location", "must be EveryNode, HeadOnly or Disabled; got \"Everywhere\".")]
    public void Invalid_section_values_are_reported_on_their_line(string yaml, string path, string message)
    {
        var ex = LoadFails(yaml);
        var error = ex.Errors.Single(e => e.KeyPath == path);
        Assert.Equal(2, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains($"test.yaml:2:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_servicer_function_names_its_index()
    {
        const string Yaml = """
            grpc_options:
              grpc_servicer_functions:
                - userdefinedprotos.UserDefinedService
                - user_defined_protos_pb2_grpc.add_Servicer_to_server
            """;
        AssertSingleError(LoadFails(Yaml), "grpc_options.grpc_servicer_functions[1]", 4,
            "is not a gRPC service", "Expected a fully qualified protobuf service name");
    }

    [Fact]
    public void Grpc_port_equal_to_http_port_is_rejected_when_grpc_runs()
    {
        const string Yaml = """
            http_options:
              port: 9000
            grpc_options:
              grpc_servicer_functions: [a.B]
            """;
        // port is not written, so the error points at the grpc_options mapping's first key.
        AssertSingleError(LoadFails(Yaml), "grpc_options.port", 4, "must differ from http_options.port (9000)");

        // Without servicer functions no gRPC server runs, so the ports do not clash.
        ServeConfigLoader.Load("http_options:\n  port: 9000\n", "test.yaml");
    }

    [Fact]
    public void Duplicate_application_names_are_rejected()
    {
        const string Yaml = """
            applications:
              - name: app1
                route_prefix: /a
                import_path: My.Apps:A
              - name: app1
                route_prefix: /b
                import_path: My.Apps:B
            """;
        AssertSingleError(LoadFails(Yaml), "applications[1].name", 5, "duplicate application name \"app1\"", "applications[0] has it too");
    }

    [Fact]
    public void Duplicate_route_prefixes_are_rejected()
    {
        const string Yaml = """
            applications:
              - name: app1
                route_prefix: /same
                import_path: My.Apps:A
              - name: app2
                route_prefix: /same
                import_path: My.Apps:B
            """;
        AssertSingleError(LoadFails(Yaml), "applications[1].route_prefix", 6, "duplicate route_prefix \"/same\"", "applications[0] (\"app1\")");
    }

    [Fact]
    public void Duplicate_default_route_prefix_points_at_the_application()
    {
        const string Yaml = """
            applications:
              - name: app1
                import_path: My.Apps:A
              - name: app2
                import_path: My.Apps:B
            """;
        var error = AssertSingleError(LoadFails(Yaml), "applications[1].route_prefix", 4, "duplicate route_prefix \"/\"");
        Assert.Equal(5, error.Column); // the application's first key
    }

    [Fact]
    public void Applications_not_exposed_over_http_may_share_the_null_route_prefix()
    {
        const string Yaml = """
            applications:
              - name: app1
                route_prefix: ~
                import_path: My.Apps:A
              - name: app2
                route_prefix: null
                import_path: My.Apps:B
            """;
        var config = ServeConfigLoader.Load(Yaml, "test.yaml");
        Assert.All(config.Applications, a => Assert.Null(a.RoutePrefix));
    }

    [Fact]
    public void Duplicate_deployment_names_in_an_application_are_rejected()
    {
        var yaml = WithDeploymentOption("max_ongoing_requests: 1").Replace("name: D2", "name: D1", StringComparison.Ordinal);
        AssertSingleError(LoadFails(yaml), "applications[0].deployments[1].name", 8,
            "duplicate deployment name \"D1\"", "applications[0].deployments[0] already configures it");
    }

    [Theory]
    [InlineData("app1", "must start with \"/\"")]
    [InlineData("/app1/", "must not end with \"/\" unless it is \"/\"")]
    [InlineData("/app/{id}", "must not contain wildcards")]
    public void Invalid_route_prefixes_are_rejected(string prefix, string message)
        => AssertSingleError(LoadFails($"applications:\n  - import_path: My.Apps:A\n    route_prefix: {prefix}\n"), "applications[0].route_prefix", 3, message);

    [Theory]
    [InlineData("nocolonordot", "must contain a dot or a colon")]
    [InlineData("a:b:c", "at most one colon")]
    [InlineData(":App", "may not start or end with a colon")]
    [InlineData("My.Apps.", "may not start or end with a dot")]
    [InlineData("\"\"", "is required and must not be empty")]
    public void Invalid_import_paths_are_rejected(string importPath, string message)
        => AssertSingleError(LoadFails($"applications:\n  - name: a\n    import_path: {importPath}\n"), "applications[0].import_path", 3, message);

    [Fact]
    public void Missing_import_path_is_reported_once_at_the_application()
    {
        var ex = LoadFails("applications:\n  - name: app1\n    route_prefix: /a\n");
        var error = AssertSingleError(ex, "applications[0].import_path", 2, "is required: every application needs an import_path");
        Assert.Equal(5, error.Column);
    }

    [Fact]
    public void Missing_deployment_name_is_reported_once()
        => AssertSingleError(LoadFails("applications:\n  - import_path: A:b\n    deployments:\n      - num_replicas: 2\n"),
            "applications[0].deployments[0].name", 4, "is required");

    [Theory]
    [InlineData("model: {name: resnet}", "got a mapping")]
    [InlineData("model: [a, b]", "got a list")]
    [InlineData("model: ~", "got null")]
    public void Args_must_be_scalars(string arg, string got)
        => AssertSingleError(LoadFails($"applications:\n  - import_path: A:b\n    args:\n      {arg}\n"),
            "applications[0].args.model", 4, "args values must be scalars", got);

    [Fact]
    public void Multiple_documents_are_rejected_at_the_second()
    {
        var ex = LoadFails("applications: []\n---\napplications: []\n");
        AssertSingleError(ex, "", 3, "2 YAML documents");
        Assert.StartsWith("test.yaml:3:1: the file holds 2 YAML documents", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Root_must_be_a_mapping()
        => AssertSingleError(LoadFails("- name: app1\n"), "", 1, "the config must be a mapping", "got a list");

    [Fact]
    public void Malformed_yaml_names_the_line()
    {
        var ex = LoadFails("http_options:\n  port: 1\n  host: [a\n");
        Assert.StartsWith("test.yaml:4:1: invalid YAML: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Line:", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<YamlDotNet.Core.YamlException>(ex.InnerException);
    }

    [Fact]
    public void Yaml_the_parser_cannot_place_still_gives_a_config_error()
    {
        var ex = LoadFails("applications:\n  - name: [app1\n    import_path: x\n");
        Assert.StartsWith("test.yaml: invalid YAML:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_are_rejected()
    {
        var ex = LoadFails("http_options:\n  port: 1\n  port: 2\n");
        Assert.Contains("Duplicate key", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.Line);
    }

    [Fact]
    public void Later_items_keep_their_index_after_an_invalid_item()
    {
        const string Yaml = """
            applications:
              - just-a-string
              - name: app2
                import_path: My.Apps:B
                deployments:
                  - name: D
                    num_replicas: 0
            """;
        var ex = LoadFails(Yaml);
        Assert.Equal(["applications[0]", "applications[1].deployments[0].num_replicas"], ex.Errors.Select(e => e.KeyPath));
        Assert.Equal([2, 7], ex.Errors.Select(e => e.Line!.Value));
    }

    [Fact]
    public void Proxy_location_is_case_insensitive_but_not_a_list_of_flags()
    {
        Assert.Equal(ProxyLocation.Disabled, ServeConfigLoader.Load("proxy_location: DISABLED\n", "test.yaml").ProxyLocation);
        AssertSingleError(LoadFails("proxy_location: EveryNode,HeadOnly\n"), "proxy_location", 1, "must be EveryNode, HeadOnly or Disabled");
        AssertSingleError(LoadFails("proxy_location: 1\n"), "proxy_location", 1, "must be EveryNode, HeadOnly or Disabled");
    }

    [Fact]
    public void All_problems_are_reported_at_once_in_document_order()
    {
        const string Yaml = """
            http_options:
              port: 70000
            applications:
              - name: app1
                import_path: My.Apps:A
                deployments:
                  - name: D
                    num_replicas: 0
                    num_replica: 2
            """;
        var ex = LoadFails(Yaml);
        Assert.Equal(
            ["http_options.port", "applications[0].deployments[0].num_replicas", "applications[0].deployments[0].num_replica"],
            ex.Errors.Select(e => e.KeyPath));
        Assert.Equal([2, 8, 9], ex.Errors.Select(e => e.Line!.Value));
        Assert.Equal(3, ex.Message.Split(Environment.NewLine).Length);
    }
}
