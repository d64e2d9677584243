using System.Text.Json;
using Serve.Config;

namespace Serve.Runtime.Tests.Config;

/// <summary>What <see cref="ServeConfigWriter"/> writes, the loader reads back field for field.</summary>
public sealed class ServeConfigWriterTests
{
    private static ServeConfig Everything() => new()
    {
        ProxyLocation = ProxyLocation.HeadOnly,
        HttpOptions = new HttpOptions
        {
            Host = "0.0.0.0", Port = 8100, RootPath = "/root", RequestTimeoutS = 2.5, KeepAliveTimeoutS = 30, MaxRequestBodySize = 1000, RequestBodyMemoryLimit = 5_000_000_000,
        },
        GrpcOptions = new GrpcOptions
        {
            Port = 9100,
            GrpcServicerFunctions = ["pkg.Service", "user_defined_protos_pb2_grpc.add_UserDefinedServiceServicer_to_server"],
            RequestTimeoutS = 1e-3,
            MaxReceiveMessageLength = 100,
            MaxSendMessageLength = 200,
            EnableReflection = false,
            ResponseCompression = GrpcResponseCompression.Gzip,
        },
        LoggingConfig = new LoggingConfig { LogLevel = "DEBUG", LogsDir = "/var/log/serve", Encoding = LogEncoding.Json, EnableAccessLog = false },
        Applications =
        [
            new ApplicationConfig
            {
                Name = "true",
                RoutePrefix = null,
                ImportPath = "My.Apps:Build",
                RuntimeEnv = new Dictionary<string, string>
                {
                    ["env_vars"] = """{"A":"1","B":"x: y"}""",
                    ["pip"] = """["torch","numpy"]""",
                    ["working_dir"] = "\"s3://bucket/zip\"",
                },
                Args = new Dictionary<string, string> { ["n"] = "2", ["flag"] = "true", ["empty"] = "", ["text"] = "a: b # c", ["quote"] = "it's \"x\"", ["null"] = "~" },
                Deployments =
                [
                    new DeploymentConfig
                    {
                        Name = "Model",
                        NumReplicas = 3,
                        MaxOngoingRequests = 7,
                        MaxQueuedRequests = -1,
                        UserConfig = """{"threshold":0.25,"big":12345678901234567890,"exp":1e300,"labels":["a","2","null",""],"nested":{"x":null,"y":true,"z":{}},"list":[],"text":"line1\nline2\ttab","unicode":"héllo ✓"}""",
                        GracefulShutdownTimeoutS = 0,
                        GracefulShutdownWaitLoopS = 0.5,
                        HealthCheckPeriodS = 11,
                        HealthCheckTimeoutS = 31,
                    },
                    new DeploymentConfig { Name = "Plain", UserConfig = "\"just text\"" },
                    new DeploymentConfig { Name = "Number", UserConfig = "42" },
                    new DeploymentConfig { Name = "Nothing" },
                ],
            },
            new ApplicationConfig { Name = "second", RoutePrefix = "/second", ImportPath = "My.Other" },
        ],
    };

    [Fact]
    public void Every_field_round_trips()
    {
        var config = Everything();
        config.Validate();

        var yaml = ServeConfigWriter.Write(config, "generated\nfor a test");
        var loaded = ServeConfigLoader.Load(yaml, "written.yaml");

        AssertSame(config, loaded);
        Assert.StartsWith("# generated\n# for a test\n\nproxy_location: HeadOnly\n", yaml.ReplaceLineEndings("\n"));
        // Nothing drifts on a second round (numbers may change spelling, 1e300 to 1E+300, not value).
        AssertSame(config, ServeConfigLoader.Load(ServeConfigWriter.Write(loaded), "rewritten.yaml"));
    }

    [Fact]
    public void Defaults_round_trip_and_keys_ray_always_writes_are_written()
    {
        var config = new ServeConfig { Applications = [new ApplicationConfig { ImportPath = "My.Apps:Build" }] };

        var yaml = ServeConfigWriter.Write(config);

        AssertSame(config, ServeConfigLoader.Load(yaml, "written.yaml"));
        Assert.Equal(
            """
            proxy_location: EveryNode
            http_options:
              host: 127.0.0.1
              port: 8000
            grpc_options:
              port: 9000
              grpc_servicer_functions: []
            logging_config:
              log_level: INFO
              logs_dir: null
              encoding: TEXT
              enable_access_log: true
            applications:
            - name: default
              route_prefix: /
              import_path: My.Apps:Build
              runtime_env: {}

            """.ReplaceLineEndings("\n"),
            yaml.ReplaceLineEndings("\n"));
    }

    private static void AssertSame(ServeConfig expected, ServeConfig actual)
    {
        Assert.Equal(expected.ProxyLocation, actual.ProxyLocation);
        Assert.Equal(expected.HttpOptions, actual.HttpOptions);
        Assert.Equal(expected.GrpcOptions with { GrpcServicerFunctions = [] }, actual.GrpcOptions with { GrpcServicerFunctions = [] });
        Assert.Equal(expected.GrpcOptions.GrpcServicerFunctions, actual.GrpcOptions.GrpcServicerFunctions);
        Assert.Equal(expected.LoggingConfig, actual.LoggingConfig);
        Assert.Equal(expected.Applications.Count, actual.Applications.Count);
        foreach (var (e, a) in expected.Applications.Zip(actual.Applications))
        {
            Assert.Equal((e.Name, e.RoutePrefix, e.ImportPath), (a.Name, a.RoutePrefix, a.ImportPath));
            Assert.Equal(e.Args.OrderBy(p => p.Key), a.Args.OrderBy(p => p.Key));
            Assert.Equal(e.RuntimeEnv.Keys.Order(), a.RuntimeEnv.Keys.Order());
            foreach (var (key, json) in e.RuntimeEnv)
            {
                AssertSameJson(json, a.RuntimeEnv[key]);
            }
            Assert.Equal(e.Deployments.Count, a.Deployments.Count);
            foreach (var (ed, ad) in e.Deployments.Zip(a.Deployments))
            {
                Assert.Equal(ed with { UserConfig = null }, ad with { UserConfig = null });
                if (ed.UserConfig is null)
                {
                    Assert.Null(ad.UserConfig);
                }
                else
                {
                    AssertSameJson(ed.UserConfig, ad.UserConfig!);
                }
            }
        }
    }

    private static void AssertSameJson(string expected, string actual)
    {
        using var e = JsonDocument.Parse(expected);
        using var a = JsonDocument.Parse(actual);
        Assert.True(JsonElement.DeepEquals(e.RootElement, a.RootElement), $"expected {expected}, got {actual}");
    }
}
