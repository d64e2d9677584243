using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Dashboard;
using Serve.Runtime.Tests.Control;
using static Serve.Runtime.Tests.Config.ConfigTestHelpers;

namespace Serve.Runtime.Tests.Config;

/// <summary>
/// Every message, written file and JSON view the config code produces for a wide set of inputs, compared whole with a
/// checked-in transcript: the other tests check fragments, this one keeps every byte. Set SERVE_UPDATE_TRANSCRIPT=1 to
/// rewrite the transcript after an intended change, and review its diff.
/// </summary>
public sealed partial class ConfigTranscriptTests
{
    private static readonly string[] Inputs =
    [
        "",
        "# only a comment\n",
        "applications: []\n---\napplications: []\n",
        "- name: app1\n",
        "plain text\n",
        "aplications: []\n",
        "target_capacity: 50\n",
        "import_path: a.b\n",
        "? [a]\n: 1\n",
        "~: 1\n",
        "proxy_location: Everywhere\n",
        "proxy_location: 1\n",
        "proxy_location: EveryNode,HeadOnly\n",
        "proxy_location: headonly\n",
        "proxy_location: ~\n",
        "http_options: ~\n",
        "http_options: [1, 2]\n",
        "http_options: 8000\n",
        "http_options:\n  hots: x\n",
        "http_options:\n  hostname_override: x\n",
        "http_options:\n  ssl_keyfile: k\n  location: HeadOnly\n  middlewares: []\n  num_cpus: 1\n",
        "http_options:\n  host: \"\"\n",
        "http_options:\n  host: ~\n",
        "http_options:\n  host: [a]\n",
        "http_options:\n  port: 70000\n",
        "http_options:\n  port: x\n",
        "http_options:\n  port: \"80\"\n",
        "http_options:\n  port: 99999999999\n",
        "http_options:\n  root_path: serve\n",
        "http_options:\n  root_path: /a/\n",
        "http_options:\n  root_path: ~\n",
        "http_options:\n  request_timeout_s: 0\n",
        "http_options:\n  request_timeout_s: .nan\n",
        "http_options:\n  request_timeout_s: abc\n",
        "http_options:\n  request_timeout_s: ~\n",
        "http_options:\n  keep_alive_timeout_s: ~\n",
        "http_options:\n  keep_alive_timeout_s: -1\n",
        "http_options:\n  max_request_body_size: 0\n",
        "http_options:\n  max_request_body_size: 1e3\n",
        "http_options:\n  max_request_body_size: 0\n  request_body_memory_limit: 5\n",
        "http_options:\n  request_body_memory_limit: 10\n",
        "http_options:\n  request_body_memory_limit: 99999999999999999999\n",
        "http_options:\n  request_body_memory_limit: ~\n",
        "http_options:\n  port: 1\n  port: 2\n",
        "http_options:\n  port: 1\n  host: [a\n",
        "grpc_options:\n  prot: 1\n",
        "grpc_options:\n  port: -1\n",
        "grpc_options:\n  grpc_servicer_functions: a.B\n",
        "grpc_options:\n  grpc_servicer_functions: ~\n",
        "grpc_options:\n  grpc_servicer_functions: [a.B, \"bad name\", [x], ~]\n",
        "grpc_options:\n  request_timeout_s: -2\n",
        "grpc_options:\n  max_receive_message_length: 0\n",
        "grpc_options:\n  max_send_message_length: -1\n",
        "grpc_options:\n  enable_reflection: yes\n",
        "grpc_options:\n  enable_reflection: \"true\"\n",
        "grpc_options:\n  enable_reflection: ~\n",
        "grpc_options:\n  response_compression: GZIP\n",
        "grpc_options:\n  response_compression: deflate\n",
        "grpc_options:\n  response_compression: 1\n",
        "grpc_options:\n  port: 8000\n  grpc_servicer_functions: [a.B]\n",
        "http_options:\n  port: 9000\ngrpc_options:\n  grpc_servicer_functions: [a.B]\n",
        "proxy_location: Disabled\nhttp_options:\n  port: 9000\ngrpc_options:\n  grpc_servicer_functions: [a.B]\n",
        "logging_config:\n  log_level: debug\n",
        "logging_config:\n  log_level: VERBOSE\n",
        "logging_config:\n  log_level: ~\n",
        "logging_config:\n  logs_dir: \"\"\n",
        "logging_config:\n  logs_dir: \"  \"\n",
        "logging_config:\n  logs_dir: ~\n",
        "logging_config:\n  encoding: json\n",
        "logging_config:\n  encoding: XML\n",
        "logging_config:\n  enable_access_log: no\n",
        "logging_config:\n  enable_access_log: \"true\"\n",
        "logging_config:\n  additional_log_standard_attrs: [name]\n",
        "logging_config:\n  loglevel: INFO\n",
        "applications: x\n",
        "applications:\n  name: app1\n",
        "applications:\n  - just-a-string\n",
        "applications:\n  -\n",
        "applications:\n  - ~\n",
        "applications:\n  - name: app1\n    route_prefix: /a\n",
        "applications:\n  - name: a\n    import_path: nocolonordot\n",
        "applications:\n  - name: a\n    import_path: a:b:c\n",
        "applications:\n  - name: a\n    import_path: :App\n",
        "applications:\n  - name: a\n    import_path: My.Apps.\n",
        "applications:\n  - name: a\n    import_path: \"\"\n",
        "applications:\n  - name: a\n    import_path: a b:c\n",
        "applications:\n  - name: a\n    import_path: ~\n",
        "applications:\n  - name: \"\"\n    import_path: A:b\n",
        "applications:\n  - name: ~\n    import_path: A:b\n",
        "applications:\n  - name: app1\n    import_path: A:b\n    route_prefix: /a\n  - name: app1\n    import_path: A:c\n    route_prefix: /b\n",
        "applications:\n  - name: app1\n    import_path: A:b\n    route_prefix: /same\n  - name: app2\n    import_path: A:c\n    route_prefix: /same\n",
        "applications:\n  - name: app1\n    import_path: A:b\n  - name: app2\n    import_path: A:c\n",
        "applications:\n  - import_path: My.Apps:A\n    route_prefix: app1\n",
        "applications:\n  - import_path: My.Apps:A\n    route_prefix: /app1/\n",
        "applications:\n  - import_path: My.Apps:A\n    route_prefix: /app/{id}\n",
        "applications:\n  - import_path: My.Apps:A\n    route_prefix: /a b\n",
        "applications:\n  - import_path: My.Apps:A\n    route_prefix: ~\n",
        "applications:\n  - import_path: A:b\n    runtime_env: [x]\n",
        "applications:\n  - import_path: A:b\n    runtime_env:\n      pip: [torch, \"2\", 3, 0x1F, 0o17, 1.5, .inf, ~, true, 'x']\n      env_vars: {A: \"1\"}\n      ? [k]\n      : 1\n",
        "applications:\n  - import_path: A:b\n    runtime_env:\n      ~: 1\n",
        "applications:\n  - import_path: A:b\n    args: x=1\n",
        "applications:\n  - import_path: A:b\n    args:\n      model: {name: resnet}\n",
        "applications:\n  - import_path: A:b\n    args:\n      model: [a, b]\n",
        "applications:\n  - import_path: A:b\n    args:\n      model: ~\n",
        "applications:\n  - import_path: A:b\n    args:\n      n: 2\n      s: 'x'\n      b: true\n",
        "applications:\n  - import_path: A:b\n    host: h\n    port: 1\n    logging_config: {}\n    external_scaler_enabled: true\n",
        "applications:\n  - improt_path: A:b\n",
        "applications:\n  - import_path: A:b\n    deployments: x\n",
        "applications:\n  - import_path: A:b\n    deployments:\n      - D1\n",
        "applications:\n  - import_path: A:b\n    deployments:\n      - num_replicas: 2\n",
        "applications:\n  - import_path: A:b\n    deployments:\n      - name: D\n      - name: D\n",
        "applications:\n  - import_path: A:b\n    deployments:\n      - name: \"\"\n",
        "applications:\n  - import_path: A:b\n    deployments:\n      - ~\n",
    ];

    private static readonly string[] DeploymentOptions =
    [
        "num_replica: 2",
        "maxOngoingRequests: 2",
        "autoscaling_config: {min_replicas: 1}",
        "ray_actor_options: {num_cpus: 1}",
        "placement_group_bundles: []",
        "placement_group_strategy: PACK",
        "max_replicas_per_node: 1",
        "logging_config: {}",
        "request_router_config: {}",
        "max_constructor_retry_count: 3",
        "max_concurrent_queries: 3",
        "num_replicas: auto",
        "num_replicas: AUTO",
        "num_replicas: abc",
        "num_replicas: \"2\"",
        "num_replicas: [1, 2]",
        "num_replicas: ~",
        "num_replicas: 0",
        "num_replicas: 10001",
        "num_replicas: 99999999999",
        "max_ongoing_requests: 2.5",
        "max_ongoing_requests: -3",
        "max_queued_requests: {a: 1}",
        "max_queued_requests: 0",
        "max_queued_requests: -1",
        "user_config: ~",
        "user_config: {a: [1, 'b', 2.5, 1e400, .inf, .NaN, ~, True, 0x10, 0o777, 99999999999999999999999]}",
        "user_config: {? [a] : 1}",
        "user_config: \"text\"",
        "graceful_shutdown_timeout_s: -1",
        "graceful_shutdown_timeout_s: 0",
        "graceful_shutdown_wait_loop_s: 0",
        "graceful_shutdown_wait_loop_s: x",
        "health_check_period_s: ten",
        "health_check_period_s: 0",
        "health_check_timeout_s: .inf",
        "health_check_timeout_s: -0.5",
        "name: [x]",
    ];

    private static string Load(string yaml)
    {
        try
        {
            var config = ServeConfigLoader.Load(yaml, "test.yaml");
            return "loaded; written back:\n" + ServeConfigWriter.Write(config);
        }
        catch (ServeConfigException ex)
        {
            return ex.Message + "\n(" + string.Join(" | ", ex.Errors.Select(e => $"{e.Line}:{e.Column} {e.KeyPath}")) + ")\n";
        }
    }

    private static string Validate(ServeConfig config)
    {
        try
        {
            config.Validate();
            return "valid\n";
        }
        catch (ServeConfigException ex)
        {
            return ex.Message + "\n";
        }
    }

    /// <summary>Records built in code with every kind of problem, null sections and lists included.</summary>
    private static IEnumerable<(string Label, ServeConfig Config)> InvalidRecords()
    {
        yield return ("everything wrong", new ServeConfig
        {
            ProxyLocation = (ProxyLocation)7,
            HttpOptions = new HttpOptions { Host = " ", Port = -5, RootPath = null!, RequestTimeoutS = double.NaN, KeepAliveTimeoutS = 0, MaxRequestBodySize = 10, RequestBodyMemoryLimit = 3 },
            GrpcOptions = new GrpcOptions { Port = 70000, GrpcServicerFunctions = ["ok.Service", "", "not valid"], RequestTimeoutS = -1, MaxReceiveMessageLength = 0, MaxSendMessageLength = -2 },
            LoggingConfig = new LoggingConfig { LogLevel = null!, LogsDir = " ", Encoding = (LogEncoding)9 },
            Applications =
            [
                new ApplicationConfig
                {
                    Name = " ", RoutePrefix = "x", ImportPath = "bad",
                    RuntimeEnv = new Dictionary<string, string> { [""] = "1", ["k"] = null! },
                    Args = null!,
                    Deployments =
                    [
                        new DeploymentConfig
                        {
                            Name = "", NumReplicas = 0, MaxOngoingRequests = 0, MaxQueuedRequests = -2, UserConfig = "{x",
                            GracefulShutdownTimeoutS = -1, GracefulShutdownWaitLoopS = 0, HealthCheckPeriodS = double.PositiveInfinity, HealthCheckTimeoutS = -3,
                        },
                        null!,
                        new DeploymentConfig { Name = "D" },
                        new DeploymentConfig { Name = "D" },
                    ],
                },
                null!,
                new ApplicationConfig { Name = " ", RoutePrefix = "x", ImportPath = "a.b", Deployments = null! },
            ],
        });
        yield return ("null sections", new ServeConfig { HttpOptions = null!, GrpcOptions = null!, LoggingConfig = null!, Applications = null! });
        yield return ("grpc null list", new ServeConfig { GrpcOptions = new GrpcOptions { GrpcServicerFunctions = null! } });
        yield return ("port clash and logging", new ServeConfig
        {
            HttpOptions = new HttpOptions { Port = 9000 },
            GrpcOptions = new GrpcOptions { GrpcServicerFunctions = ["a.B"] },
            LoggingConfig = new LoggingConfig { LogLevel = "LOUD" },
            Applications = [new ApplicationConfig { ImportPath = "" }],
        });
        yield return ("too many applications", new ServeConfig { Applications = [.. Enumerable.Range(0, 1001).Select(i => new ApplicationConfig { Name = "a" + i, RoutePrefix = "/" + i, ImportPath = "A:b" })] });
        yield return ("section validate", new ServeConfig { Applications = [new ApplicationConfig { Name = "a", ImportPath = "A:b", RuntimeEnv = null!, Deployments = [new DeploymentConfig { Name = " " }] }] });
    }

    private static ServeConfig Everything() => new()
    {
        ProxyLocation = ProxyLocation.HeadOnly,
        HttpOptions = new HttpOptions { Host = "0.0.0.0", Port = 8100, RootPath = "/root", RequestTimeoutS = 2.5, KeepAliveTimeoutS = 30, MaxRequestBodySize = 1000, RequestBodyMemoryLimit = 5_000_000_000 },
        GrpcOptions = new GrpcOptions
        {
            Port = 9100, GrpcServicerFunctions = ["pkg.Service", "user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server"], RequestTimeoutS = 1e-3,
            MaxReceiveMessageLength = 100, MaxSendMessageLength = 200, EnableReflection = false, ResponseCompression = GrpcResponseCompression.Gzip,
        },
        LoggingConfig = new LoggingConfig { LogLevel = "DEBUG", LogsDir = "/var/log/serve", Encoding = LogEncoding.Json, EnableAccessLog = false },
        Applications =
        [
            new ApplicationConfig
            {
                Name = "true", RoutePrefix = null, ImportPath = "My.Apps:Build",
                RuntimeEnv = new Dictionary<string, string> { ["pip"] = """["torch","numpy"]""", ["env_vars"] = """{"A":"1","B":"x: y"}""", ["working_dir"] = "\"s3://bucket/zip\"" },
                Args = new Dictionary<string, string> { ["n"] = "2", ["flag"] = "true", ["empty"] = "", ["text"] = "a: b # c", ["quote"] = "it's \"x\"", ["null"] = "~", ["tab"] = "a\tb", ["lead"] = " x" },
                Deployments =
                [
                    new DeploymentConfig
                    {
                        Name = "Model", NumReplicas = 3, MaxOngoingRequests = 7, MaxQueuedRequests = -1,
                        UserConfig = """{"threshold":0.25,"big":12345678901234567890,"exp":1e300,"labels":["a","2","null","","yes","0x1F",".inf"],"nested":{"x":null,"y":true,"z":{}},"list":[],"text":"line1\nline2\ttab","unicode":"héllo ✓"}""",
                        GracefulShutdownTimeoutS = 0, GracefulShutdownWaitLoopS = 0.5, HealthCheckPeriodS = 11, HealthCheckTimeoutS = 31,
                    },
                    new DeploymentConfig { Name = "Plain", UserConfig = "\"just text\"" },
                    new DeploymentConfig { Name = "Nothing" },
                ],
            },
            new ApplicationConfig { Name = "second", RoutePrefix = "/second", ImportPath = "My.Other" },
        ],
    };

    [Fact]
    public async Task Transcript_is_unchanged()
    {
        var text = new StringBuilder();
        void Section(string label, string input, string output)
            => text.Append("### ").Append(label).Append('\n').Append(input).Append(input.EndsWith('\n') ? "" : "\n").Append("---\n").Append(output).Append('\n');

        foreach (var yaml in Inputs)
        {
            Section("load", yaml, Load(yaml));
        }
        foreach (var option in DeploymentOptions)
        {
            Section("deployment option", option, Load(WithDeploymentOption(option)));
        }
        Section("too deep user_config", "64+ levels", Load(WithDeploymentOption("user_config: " + new string('[', 70) + new string(']', 70))));
        foreach (var (label, config) in InvalidRecords())
        {
            Section("validate", label, Validate(config));
        }
        Section("write", "everything", ServeConfigWriter.Write(Everything(), "a header\r\nof two lines"));
        Section("write", "defaults", ServeConfigWriter.Write(new ServeConfig()));
        Section("write", "everything, reloaded", ServeConfigWriter.Write(ServeConfigLoader.Load(ServeConfigWriter.Write(Everything()), "x")));
        Section("change", "instance", await InstanceChangesAsync());
        Section("json", "status", await StatusJsonAsync());

        var path = ConfigTestHelpers.RepoFile("tests", "Serve.Runtime.Tests", "Config", "Golden", "config-transcript.txt");
        var actual = text.ToString();
        if (Environment.GetEnvironmentVariable("SERVE_UPDATE_TRANSCRIPT") == "1")
        {
            await File.WriteAllTextAsync(path, actual);
        }
        var expected = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
        if (expected != actual)
        {
            var lines = (expected.Split('\n'), actual.Split('\n'));
            var at = Enumerable.Range(0, Math.Min(lines.Item1.Length, lines.Item2.Length)).FirstOrDefault(i => lines.Item1[i] != lines.Item2[i]);
            Assert.Fail($"The transcript differs at line {at + 1}:\nexpected: {lines.Item1.ElementAtOrDefault(at)}\nactual:   {lines.Item2.ElementAtOrDefault(at)}");
        }
    }

    private static async Task<string> InstanceChangesAsync()
    {
        var kit = new ReconcileKit(new Journal());
        var path = ReconcileKit.Register(() => kit.Bound("Leaf"));
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        try
        {
            var first = ReconcileKit.ConfigOf(ReconcileKit.App("app", path)) with { HttpOptions = new HttpOptions { Port = 8001 } };
            await controller.ApplyAsync(first);
            var everything = Everything();
            var ignored = await controller.ApplyAsync(everything with { GrpcOptions = everything.GrpcOptions with { GrpcServicerFunctions = ["a.B", "c.D"] }, Applications = first.Applications });
            var unchanged = await controller.ApplyAsync(first with { HttpOptions = new HttpOptions() });
            return string.Join("\n", ignored) + "\n(default values: " + unchanged.Count + " ignored)\n";
        }
        finally
        {
            await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
    }

    private static async Task<string> StatusJsonAsync()
    {
        var kit = new ReconcileKit(new Journal());
        var path = ReconcileKit.Register(() => kit.Bound("Ingress", kit.Bound("Leaf")));
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        try
        {
            var everything = Everything();
            var config = everything with
            {
                GrpcOptions = everything.GrpcOptions with { GrpcServicerFunctions = [] },
                Applications =
                [
                    ReconcileKit.App("app", path, new DeploymentConfig
                    {
                        Name = "Leaf", NumReplicas = 2, MaxOngoingRequests = 3, MaxQueuedRequests = 4, UserConfig = """{"a": [1, "x"]}""",
                        GracefulShutdownTimeoutS = 1.5, HealthCheckPeriodS = 3,
                    }),
                    ReconcileKit.App("other", path) with { RoutePrefix = null },
                ],
            };
            config.Validate();
            await controller.ApplyAsync(config);
            var result = new StringBuilder();
            foreach (var ports in new[] { (Http: (int?)null, Grpc: (int?)null), (Http: 1234, Grpc: 5678) })
            {
                using var buffer = new MemoryStream();
                using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                {
                    ServeDetailsJson.Write(writer, controller.GetStatus(), ports.Http, ports.Grpc);
                }
                result.Append(Volatile(Encoding.UTF8.GetString(buffer.ToArray()))).Append('\n');
            }
            // The registered import path is unique per run (deployed_app_config shows it).
            return result.ToString().Replace(path, "Tests.Control.Reconcile:App", StringComparison.Ordinal);
        }
        finally
        {
            await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
    }

    /// <summary>Blanks what changes from run to run: process id, times and replica ids.</summary>
    private static string Volatile(string json)
        => VolatileValues().Replace(json, m => m.Groups[1].Value + "\"…\"");

    [GeneratedRegex("""("(?:pid|start_time_s|last_deployed_time_s|replica_id)": )("[^"]*"|[0-9.eE+-]+)""")]
    private static partial Regex VolatileValues();
}
