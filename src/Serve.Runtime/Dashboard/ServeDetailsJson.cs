using System.Text.Json;
using Serve.Config;
using Serve.Control;
using Serve.Control.Autoscaling;
using Serve.Replicas;

namespace Serve.Dashboard;

/// <summary>
/// Writes <c>GET /api/serve/applications/</c>'s answer: Ray Serve's <c>ServeInstanceDetails</c> as far
/// as it applies to one process (no Ray actors, nodes or resources). Written field by field with
/// <see cref="Utf8JsonWriter"/>, so it needs no reflection.
/// </summary>
internal static class ServeDetailsJson
{
    /// <summary>Writes the status document.</summary>
    /// <param name="writer">Where to.</param>
    /// <param name="status">The controller's status.</param>
    /// <param name="httpPort">The HTTP proxy's bound port (the config may say 0).</param>
    /// <param name="grpcPort">The gRPC proxy's bound port, or null when it is off.</param>
    public static void Write(Utf8JsonWriter writer, ServeStatusSnapshot status, int? httpPort, int? grpcPort)
    {
        var instance = status.Instance ?? new ServeConfig();
        // The config as served: the ports the proxies are bound to (the config may say 0).
        var served = instance with
        {
            HttpOptions = instance.HttpOptions with { Port = httpPort ?? instance.HttpOptions.Port },
            GrpcOptions = instance.GrpcOptions with { Port = grpcPort ?? instance.GrpcOptions.Port },
        };
        writer.WriteStartObject();
        writer.WriteStartObject("controller_info");
        writer.WriteNumber("pid", Environment.ProcessId);
        writer.WriteEndObject();
        // proxy_location, http_options and grpc_options, as their declarations show them.
        ServeConfig.Schema.WriteJson(writer, served);

        writer.WriteStartObject("proxies");
        writer.WriteEndObject();
        writer.WriteString("deploy_mode", "MULTI_APP");

        writer.WriteStartObject("applications");
        foreach (var app in status.Applications)
        {
            WriteApplication(writer, app);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteApplication(Utf8JsonWriter writer, ApplicationStatusView app)
    {
        writer.WriteStartObject(app.Name);
        // name and route_prefix, as their declarations show them; the running application's, not the requested ones.
        ApplicationConfig.Schema.WriteJson(writer, new ApplicationConfig { Name = app.Name, RoutePrefix = app.RoutePrefix, ImportPath = "" });
        writer.WriteNull("docs_path");
        writer.WriteString("status", StatusNames.Of(app.Status));
        writer.WriteString("message", app.Message);
        ConfigValues.WriteNumberOrNull(writer, "last_deployed_time_s", app.LastDeployedTime is { } time ? time.ToUnixTimeMilliseconds() / 1000.0 : null);
        writer.WriteString("source", "declarative");
        // Ray's deployed_app_config: the application's entry in the last config applied, as written there.
        if (app.DeployedConfig is { } deployed)
        {
            writer.WritePropertyName("deployed_app_config");
            writer.WriteRawValue(new YamlConfigReader("deployed_app_config").ToJson(ApplicationConfig.Schema.Write(deployed), "")!, skipInputValidation: true);
        }
        else
        {
            writer.WriteNull("deployed_app_config");
        }
        writer.WriteStartObject("deployments");
        foreach (var deployment in app.Deployments)
        {
            WriteDeployment(writer, deployment);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteDeployment(Utf8JsonWriter writer, DeploymentState deployment)
    {
        var options = deployment.Options;
        // Running replicas, then the ones draining after a scale-down.
        var replicas = deployment.Router.Replicas.Concat(deployment.Draining).ToArray();

        writer.WriteStartObject(deployment.Name);
        writer.WriteString("name", deployment.Name);
        writer.WriteString("status", StatusNames.Of(deployment.Status));
        writer.WriteString("status_trigger", StatusNames.Of(deployment.StatusTrigger));
        writer.WriteString("message", deployment.Message);

        writer.WriteStartObject("deployment_config");
        DeploymentConfig.Schema.WriteJson(writer, Running(deployment.Name, options));
        writer.WriteEndObject();

        writer.WriteNumber("target_num_replicas", options.NumReplicas);
        if (options.Autoscaling is not null)
        {
            WriteAutoscalingDetail(writer, deployment, options);
        }
        writer.WriteStartObject("required_resources");
        writer.WriteEndObject();

        var starting = deployment.Starting;
        writer.WriteStartObject("replica_states");
        foreach (var group in replicas.Select(r => r.State).Concat(starting.Select(_ => ReplicaState.Starting)).GroupBy(s => s).OrderBy(g => g.Key))
        {
            writer.WriteNumber(StatusNames.Of(group.Key), group.Count());
        }
        writer.WriteEndObject();

        writer.WriteStartArray("replicas");
        foreach (var replica in starting)
        {
            WriteReplica(writer, replica.Id, ReplicaState.Starting, replica.StartTime);
        }
        foreach (var replica in replicas)
        {
            WriteReplica(writer, replica.Id, replica.State, replica.StartTime);
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteReplica(Utf8JsonWriter writer, string id, ReplicaState state, DateTimeOffset startTime)
    {
        writer.WriteStartObject();
        writer.WriteString("replica_id", id);
        writer.WriteString("state", StatusNames.Of(state));
        writer.WriteNumber("pid", Environment.ProcessId);
        writer.WriteNumber("start_time_s", startTime.ToUnixTimeMilliseconds() / 1000.0);
        writer.WriteEndObject();
    }

    /// <summary>
    /// What the autoscaler sees and did (Ray's experimental <c>autoscaling_detail</c>): the bounds now, the replicas running
    /// and wanted, the last load reading, the decision pending and the ones applied.
    /// </summary>
    private static void WriteAutoscalingDetail(Utf8JsonWriter writer, DeploymentState deployment, EffectiveOptions options)
    {
        var autoscaler = deployment.Supervisor.Autoscaler;
        writer.WriteStartObject("autoscaling_detail");
        writer.WriteString("policy", "replica_queue_length_autoscaling_policy");
        writer.WriteNumber("current_num_replicas", deployment.Router.Replicas.Count);
        writer.WriteNumber("target_num_replicas", options.NumReplicas);
        writer.WriteNumber("lower_bound", options.LowerBound);
        writer.WriteNumber("upper_bound", options.UpperBound);
        writer.WriteNumber("total_num_requests", autoscaler.LastReading);
        var (direction, since, target) = autoscaler.Pending;
        if (direction == ScaleDirection.None)
        {
            writer.WriteNull("pending_decision");
        }
        else
        {
            writer.WriteStartObject("pending_decision");
            writer.WriteString("direction", direction == ScaleDirection.Up ? "UPSCALE" : "DOWNSCALE");
            writer.WriteNumber("since_s", since.ToUnixTimeMilliseconds() / 1000.0);
            writer.WriteNumber("to_num_replicas", target);
            writer.WriteEndObject();
        }
        writer.WriteStartArray("decisions");
        foreach (var decision in autoscaler.Decisions)
        {
            writer.WriteStartObject();
            writer.WriteNumber("timestamp_s", decision.Time.ToUnixTimeMilliseconds() / 1000.0);
            writer.WriteNumber("from_num_replicas", decision.From);
            writer.WriteNumber("to_num_replicas", decision.To);
            writer.WriteNumber("total_num_requests", Math.Round(decision.Load, 3));
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The options a deployment runs with (config over code over defaults), as a fully set config entry.</summary>
    private static DeploymentConfig Running(string name, EffectiveOptions options) => new()
    {
        Name = name,
        // Ray leaves num_replicas out of an autoscaled deployment's config: its target is target_num_replicas.
        NumReplicas = options.Autoscaling is null ? options.NumReplicas : null,
        AutoscalingConfig = options.Autoscaling?.ToConfig(),
        MaxOngoingRequests = options.MaxOngoingRequests,
        MaxQueuedRequests = options.MaxQueuedRequests,
        UserConfig = options.UserConfig,
        GracefulShutdownTimeoutS = options.GracefulShutdownTimeout.TotalSeconds,
        GracefulShutdownWaitLoopS = options.GracefulShutdownWaitLoop.TotalSeconds,
        HealthCheckPeriodS = options.HealthCheckPeriod.TotalSeconds,
        HealthCheckTimeoutS = options.HealthCheckTimeout.TotalSeconds,
        MaxConstructorRetryCount = options.MaxConstructorRetryCount,
    };

}
