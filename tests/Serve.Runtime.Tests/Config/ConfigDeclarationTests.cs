using System.Collections;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Serve.Config;
using Serve.Control;
using Serve.Dashboard;
using Serve.Dispatch;
using Serve.Runtime.Tests.Control;
using YamlDotNet.RepresentationModel;

namespace Serve.Runtime.Tests.Config;

/// <summary>
/// Each config key is declared once (<c>ServeConfig.Schema</c> and the sections under it), and that one declaration
/// must drive everything: for every declared key, a config setting it to a non-default value is read into the record
/// property of that name, written and read back equal, shown in the status JSON (or hidden, as declared), and its
/// change is handled by a running Serve as declared (ignored with a warning, redeployed, applied in place, or ignored).
/// A record property without a declaration, or a declaration whose reading, writing, JSON or change handling does not
/// match the property, fails here.
/// </summary>
public sealed partial class ConfigDeclarationTests
{
    private const string ImportPath = "Tests.Config.Declarations:App";
    private const string CopyImportPath = "Tests.Config.Declarations:Copy";
    private const string Service = "tests.config.DeclaredService";

    /// <summary>A non-default value, as YAML, for every declared key; a key declared without one here fails the test.</summary>
    private static readonly Dictionary<string, string> Samples = new(StringComparer.Ordinal)
    {
        ["proxy_location"] = "HeadOnly",
        ["http_options.host"] = "0.0.0.0",
        ["http_options.port"] = "8100",
        ["http_options.root_path"] = "/root",
        ["http_options.request_timeout_s"] = "2.5",
        ["http_options.keep_alive_timeout_s"] = "30",
        ["http_options.max_request_body_size"] = "1000",
        ["http_options.request_body_memory_limit"] = "5000000000",
        ["grpc_options.port"] = "9100",
        ["grpc_options.grpc_servicer_functions"] = $"[{Service}]",
        ["grpc_options.request_timeout_s"] = "1.5",
        ["grpc_options.max_receive_message_length"] = "100",
        ["grpc_options.max_send_message_length"] = "200",
        ["grpc_options.enable_reflection"] = "false",
        ["grpc_options.response_compression"] = "gzip",
        ["logging_config.log_level"] = "DEBUG",
        ["logging_config.logs_dir"] = "/var/log/serve",
        ["logging_config.encoding"] = "JSON",
        ["logging_config.enable_access_log"] = "false",
        ["applications[].name"] = "renamed",
        ["applications[].route_prefix"] = "/moved",
        ["applications[].import_path"] = CopyImportPath,
        ["applications[].runtime_env"] = "{env_vars: {A: '1'}}",
        ["applications[].args"] = "{n: 2}",
        ["applications[].deployments[].name"] = "Other",
        ["applications[].deployments[].num_replicas"] = "2",
        ["applications[].deployments[].max_ongoing_requests"] = "3",
        ["applications[].deployments[].max_queued_requests"] = "4",
        ["applications[].deployments[].user_config"] = "{a: [1, x]}",
        ["applications[].deployments[].graceful_shutdown_timeout_s"] = "1.5",
        ["applications[].deployments[].graceful_shutdown_wait_loop_s"] = "0.5",
        ["applications[].deployments[].health_check_period_s"] = "11",
        ["applications[].deployments[].health_check_timeout_s"] = "31",
        ["applications[].deployments[].max_constructor_retry_count"] = "7",
        ["applications[].deployments[].autoscaling_config.min_replicas"] = "2",
        ["applications[].deployments[].autoscaling_config.initial_replicas"] = "1",
        ["applications[].deployments[].autoscaling_config.max_replicas"] = "3",
        ["applications[].deployments[].autoscaling_config.target_ongoing_requests"] = "5",
        ["applications[].deployments[].autoscaling_config.metrics_interval_s"] = "3",
        ["applications[].deployments[].autoscaling_config.look_back_period_s"] = "10",
        ["applications[].deployments[].autoscaling_config.smoothing_factor"] = "2",
        ["applications[].deployments[].autoscaling_config.upscale_smoothing_factor"] = "2",
        ["applications[].deployments[].autoscaling_config.downscale_smoothing_factor"] = "0.5",
        ["applications[].deployments[].autoscaling_config.upscaling_factor"] = "2",
        ["applications[].deployments[].autoscaling_config.downscaling_factor"] = "0.5",
        ["applications[].deployments[].autoscaling_config.upscale_delay_s"] = "1",
        ["applications[].deployments[].autoscaling_config.downscale_delay_s"] = "60",
        ["applications[].deployments[].autoscaling_config.downscale_to_zero_delay_s"] = "30",
        ["applications[].deployments[].autoscaling_config.aggregation_function"] = "max",
        ["target_capacity"] = "50",
    };

    /// <summary>Properties set by another key than their own name: <c>num_replicas: auto</c> sets NumReplicasAuto.</summary>
    private static readonly Dictionary<string, string> AlsoCarried = new(StringComparer.Ordinal)
    {
        ["NumReplicasAuto"] = "num_replicas",
    };

    /// <summary>Keys a sample needs next to it to be valid (min_replicas 2 needs a max_replicas of at least 2).</summary>
    private static readonly Dictionary<string, string> SampleSiblings = new(StringComparer.Ordinal)
    {
        ["applications[].deployments[].autoscaling_config.min_replicas"] = "{max_replicas: 3}",
    };

    private const string BaseYaml = $"""
        applications:
        - name: app
          route_prefix: /app
          import_path: {ImportPath}
          deployments:
          - name: Model
        """;

    static ConfigDeclarationTests()
    {
        var kit = new ReconcileKit(new Journal());
        // Model calls Other; a second import path builds the same graph, so that import_path can change.
        ServeRegistry.AddApplicationBuilder(ImportPath, _ => kit.Bound("Model", kit.Bound("Other")));
        ServeRegistry.AddApplicationBuilder(CopyImportPath, _ => kit.Bound("Model", kit.Bound("Other")));
        // A gRPC service some deployment serves, for grpc_servicer_functions.
        ServeRegistry.AddDeployment(new DeploymentDefinition("Declared", "Tests.Config.Declared", new DeploymentOptions(), 0, (_, _) => new object(), [Service], []));
    }

    public static TheoryData<string> Keys()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _) in ValueKeys(ServeConfig.Schema, ""))
        {
            data.Add(path);
        }
        return data;
    }

    /// <summary>Every key holding a value (not a section or list), by path, in declaration order.</summary>
    private static IEnumerable<(string Path, IConfigField Field)> ValueKeys(IConfigSection section, string prefix)
    {
        foreach (var field in section.Fields)
        {
            var path = prefix.Length == 0 ? field.Key : prefix + "." + field.Key;
            if (field.Section is { } nested)
            {
                foreach (var inner in ValueKeys(nested, field.IsList ? path + "[]" : path))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return (path, field);
            }
        }
    }

    private static IConfigField FieldAt(string path) => ValueKeys(ServeConfig.Schema, "").Single(k => k.Path == path).Field;

    [Fact]
    public void Every_declared_key_has_a_sample_and_every_sample_a_declared_key()
    {
        var declared = ValueKeys(ServeConfig.Schema, "").Select(k => k.Path).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(declared.Except(Samples.Keys).Select(k => $"{k}: declared, but the test has no sample value for it; add one to Samples."));
        Assert.Empty(Samples.Keys.Except(declared).Select(k => $"{k}: has a sample, but no section declares it."));
    }

    /// <summary>
    /// Every key Serve accepts does what it says (none is accepted and ignored), and every Ray key it refuses says so:
    /// both lists are pinned here, so that a key moves from one to the other on purpose.
    /// </summary>
    [Fact]
    public void Every_accepted_key_is_honoured_and_the_refused_ones_are_pinned()
    {
        var keys = ValueKeys(ServeConfig.Schema, "").ToList();
        Assert.Empty(keys.Where(k => k.Field.Change.Kind == ChangeKind.Ignored).Select(k => k.Path));
        Assert.Equal(Samples.Keys.Order(StringComparer.Ordinal), keys.Select(k => k.Path).Order(StringComparer.Ordinal));

        var refused = Sections(ServeConfig.Schema, typeof(ServeConfig))
            .SelectMany(s => s.Section.Unsupported.Keys.Select(k => s.Section.Context + ": " + k))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "a deployment's options: logging_config",
            "a deployment's options: max_concurrent_queries",
            "a deployment's options: max_replicas_per_node",
            "a deployment's options: placement_group_bundles",
            "a deployment's options: placement_group_strategy",
            "a deployment's options: ray_actor_options",
            "a deployment's options: request_router_config",
            "an application: external_scaler_enabled",
            "an application: host",
            "an application: logging_config",
            "an application: port",
            "autoscaling_config: policy",
            "autoscaling_config: target_num_ongoing_requests_per_replica",
            "http_options: location",
            "http_options: middlewares",
            "http_options: num_cpus",
            "http_options: ssl_ca_certs",
            "http_options: ssl_certfile",
            "http_options: ssl_keyfile",
            "http_options: ssl_keyfile_password",
            "logging_config: additional_log_standard_attrs",
            "the config's top level: import_path",
        ], refused);
    }

    [Fact]
    public void Every_settable_property_of_a_config_record_is_a_declared_key()
    {
        foreach (var (section, type) in Sections(ServeConfig.Schema, typeof(ServeConfig)))
        {
            var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is not null)
                .Select(p => p.Name)
                .Order(StringComparer.Ordinal);
            Assert.Equal(properties, section.Keys.Select(PropertyName).Concat(AlsoCarried.Where(c => section.Keys.Contains(c.Value)).Select(c => c.Key))
                .Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Every_exclusion_says_why()
    {
        foreach (var (path, field) in ValueKeys(ServeConfig.Schema, ""))
        {
            if (field.Change.Kind is ChangeKind.InPlace or ChangeKind.Ignored or ChangeKind.Nested)
            {
                Assert.False(string.IsNullOrWhiteSpace(field.Change.Why), $"{path}: {field.Change.Kind} without a reason");
            }
            if (field.Json.Kind != JsonKind.Shown)
            {
                Assert.False(string.IsNullOrWhiteSpace(field.Json.Why), $"{path}: {field.Json.Kind} in the JSON without a reason");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void The_reader_sets_the_keys_property_and_the_writer_writes_it_back(string path)
    {
        var baseline = Load(BaseYaml);
        var changed = Load(WithSample(path));

        // The reader set the property of the key's name, to something else than the default.
        Assert.False(DeepEqual(Property(baseline, path), Property(changed, path)), $"{path}: reading the sample left {PropertyName(path)} at its default");

        // The writer writes it, the reader reads it back, and the whole config is the same.
        var written = ServeConfigWriter.Write(changed);
        var reloaded = Load(written);
        Assert.True(DeepEqual(changed, reloaded), $"{path}: did not round-trip through the writer:\n{written}");
        Assert.Equal(written, ServeConfigWriter.Write(reloaded));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task The_status_json_shows_the_key_as_declared(string path)
    {
        var field = FieldAt(path);
        var baseline = Load(BaseYaml);
        var changed = Load(WithSample(path));

        var before = await StatusOfFreshAsync(baseline);
        var after = await StatusOfFreshAsync(changed);

        switch (field.Json.Kind)
        {
            case JsonKind.Shown:
                var shown = JsonAt(after, JsonPath(path, changed));
                Assert.True(shown is not null, $"{path}: declared shown, but the status has no {string.Join(".", JsonPath(path, changed))}:\n{after}");
                if (field.Change.Kind == ChangeKind.Identity)
                {
                    // A name is the key the status lists the item under; it shows the new name there.
                    Assert.Equal(JsonString((string)Property(changed, path)!), shown);
                }
                else
                {
                    Assert.NotEqual(JsonAt(before, JsonPath(path, baseline)), shown);
                }
                break;
            case JsonKind.Hidden:
                // deployed_app_config echoes each application's whole entry, as Ray's does; the rest of the status does not show it.
                Assert.Equal(WithoutDeployedConfigs(before), WithoutDeployedConfigs(after));
                break;
            default:
                Assert.Fail($"{path}: a value key comes from running state; only sections and lists do.");
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public async Task A_running_serve_handles_a_change_of_the_key_as_declared(string path)
    {
        var field = FieldAt(path);
        if (field.Change.Kind == ChangeKind.Identity)
        {
            // Names pair running with requested items: a new name is another item, not a change of one.
            return;
        }

        var baseline = Load(BaseYaml);
        var changed = Load(WithSample(path));
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        try
        {
            await controller.ApplyAsync(baseline);
            var ids = ReplicaIds(controller);
            var status = Status(controller);

            var ignored = await controller.ApplyAsync(changed);

            var idsAfter = ReplicaIds(controller);
            var statusAfter = Status(controller);
            switch (field.Change.Kind)
            {
                case ChangeKind.Restart:
                    var message = Assert.Single(ignored);
                    Assert.StartsWith($"{path}: cannot change while Serve is running", message, StringComparison.Ordinal);
                    Assert.Equal(status, statusAfter);
                    break;
                case ChangeKind.Redeploy:
                    Assert.Empty(ignored);
                    Assert.All(ids.Keys, d => Assert.NotEqual(ids[d][0], idsAfter[d][0]));
                    break;
                case ChangeKind.InPlace:
                    Assert.Empty(ignored);
                    Assert.All(ids.Keys, d => Assert.Equal(ids[d][0], idsAfter[d][0]));
                    // What runs now has the new value, and the status shows it.
                    Assert.NotEqual(JsonAt(status, JsonPath(path, baseline)), JsonAt(statusAfter, JsonPath(path, changed)));
                    break;
                case ChangeKind.Ignored:
                    Assert.Empty(ignored);
                    Assert.Equal(ids, idsAfter);
                    Assert.Equal(status, statusAfter);
                    break;
                default:
                    Assert.Fail($"{path}: {field.Change.Kind} is for sections and lists.");
                    break;
            }
        }
        finally
        {
            await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
    }

    /// <summary>The base config with the key at <paramref name="path"/> set to its sample.</summary>
    private static string WithSample(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(BaseYaml));
        var node = (YamlMappingNode)stream.Documents[0].RootNode;
        var segments = path.Split('.');
        foreach (var segment in segments[..^1])
        {
            var key = segment.TrimEnd('[', ']');
            if (!node.Children.TryGetValue(new YamlScalarNode(key), out var child))
            {
                child = new YamlMappingNode();
                node.Add(key, child);
            }
            node = segment.EndsWith("[]", StringComparison.Ordinal) ? (YamlMappingNode)((YamlSequenceNode)child).Children[0] : (YamlMappingNode)child;
        }
        var value = new YamlStream();
        value.Load(new StringReader(Samples[path]));
        node.Children[new YamlScalarNode(segments[^1])] = value.Documents[0].RootNode;
        if (SampleSiblings.TryGetValue(path, out var siblings))
        {
            var extra = new YamlStream();
            extra.Load(new StringReader(siblings));
            foreach (var (key, sibling) in (YamlMappingNode)extra.Documents[0].RootNode)
            {
                node.Children[key] = sibling;
            }
        }

        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    private static ServeConfig Load(string yaml) => ServeConfigLoader.Load(yaml, "declarations.yaml");

    /// <summary>The value of the record property the key path names (the first application and deployment).</summary>
    private static object? Property(object record, string path)
    {
        object? current = record;
        foreach (var segment in path.Split('.'))
        {
            if (current is null)
            {
                // A section left out (autoscaling_config): every key under it is unset.
                return null;
            }
            current = current.GetType().GetProperty(PropertyName(segment.TrimEnd('[', ']')))!.GetValue(current);
            if (segment.EndsWith("[]", StringComparison.Ordinal))
            {
                current = ((IList)current!)[0];
            }
        }
        return current;
    }

    /// <summary>The C# property of a key: <c>request_timeout_s</c> is <c>RequestTimeoutS</c>.</summary>
    private static string PropertyName(string keyOrPath)
        => string.Concat(keyOrPath.Split('.')[^1].TrimEnd('[', ']').Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    /// <summary>Each declared section with its record type, found from the properties holding them.</summary>
    private static IEnumerable<(IConfigSection Section, Type Type)> Sections(IConfigSection section, Type type)
    {
        yield return (section, type);
        foreach (var field in section.Fields)
        {
            if (field.Section is { } nested)
            {
                var propertyType = type.GetProperty(PropertyName(field.Key))!.PropertyType;
                var recordType = field.IsList ? propertyType.GetGenericArguments()[0] : propertyType;
                foreach (var inner in Sections(nested, recordType))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>Compares config records property by property, lists and dictionaries by content.</summary>
    private static bool DeepEqual(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }
        if (a is string || a.GetType().IsValueType)
        {
            return a.Equals(b);
        }
        if (a is IReadOnlyDictionary<string, string> da && b is IReadOnlyDictionary<string, string> db)
        {
            return da.Count == db.Count && da.All(e => db.TryGetValue(e.Key, out var v) && e.Value == v);
        }
        if (a is IEnumerable ea && b is IEnumerable eb)
        {
            var la = ea.Cast<object?>().ToList();
            var lb = eb.Cast<object?>().ToList();
            return la.Count == lb.Count && la.Zip(lb).All(p => DeepEqual(p.First, p.Second));
        }
        return a.GetType() == b.GetType()
               && a.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).All(p => DeepEqual(p.GetValue(a), p.GetValue(b)));
    }

    /// <summary>Where the status shows a key: applications and deployments under their names in <paramref name="config"/>.</summary>
    private static string[] JsonPath(string path, ServeConfig config)
    {
        var key = path.Split('.')[^1];
        var app = config.Applications[0];
        const string deployments = "applications[].deployments[].";
        if (path.StartsWith(deployments, StringComparison.Ordinal))
        {
            return ["applications", app.Name, "deployments", app.Deployments[0].Name, "deployment_config", .. path[deployments.Length..].Split('.')];
        }
        return path.StartsWith("applications[].", StringComparison.Ordinal) ? ["applications", app.Name, key] : path.Split('.');
    }

    /// <summary>A string as JSON text.</summary>
    private static string JsonString(string text)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(text);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string WithoutDeployedConfigs(string json)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        foreach (var (_, app) in root["applications"]!.AsObject())
        {
            app!.AsObject().Remove("deployed_app_config");
        }
        return root.ToJsonString();
    }

    private static string? JsonAt(string json, string[] path)
    {
        using var document = JsonDocument.Parse(json);
        var element = document.RootElement;
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }
        return element.GetRawText();
    }

    private static async Task<string> StatusOfFreshAsync(ServeConfig config)
    {
        using var controller = new ServeController(NullLogger<ServeController>.Instance);
        try
        {
            await controller.ApplyAsync(config);
            Assert.Empty(controller.FailedApplications);
            return Status(controller);
        }
        finally
        {
            await controller.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
    }

    /// <summary>The status JSON, with what differs from run to run (process id, times, replica ids) blanked.</summary>
    private static string Status(ServeController controller)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ServeDetailsJson.Write(writer, controller.GetStatus(), null, null);
        }
        return VolatileValues().Replace(Encoding.UTF8.GetString(buffer.ToArray()), m => m.Groups[1].Value + "\"\"");
    }

    [GeneratedRegex("""("(?:pid|start_time_s|last_deployed_time_s|replica_id|timestamp_s|since_s)":)("[^"]*"|[0-9.eE+-]+)""")]
    private static partial Regex VolatileValues();

    private static Dictionary<string, string[]> ReplicaIds(ServeController controller)
        => controller.Applications.SelectMany(a => a.Deployments).ToDictionary(d => d.Name, d => d.Router.Replicas.Select(r => r.Id).ToArray());
}
