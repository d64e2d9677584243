using System.Globalization;
using System.Text.Json;
using Serve.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Serve.Hosting;

/// <summary>
/// <c>serve status</c>'s output: the REST API's status JSON in Ray's layout (applications → status,
/// message, last_deployed_time_s, deployments → status, status_trigger, replica_states, message). Ray's
/// <c>proxies</c> section is left out: the proxies run inside this one process.
/// </summary>
internal static class StatusYaml
{
    /// <summary>Converts a <c>GET /api/serve/applications/</c> answer.</summary>
    /// <param name="json">The answer.</param>
    /// <param name="application">Show only this application (Ray's <c>--name</c>); null for all.</param>
    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="KeyNotFoundException">A key of the status document is missing.</exception>
    /// <exception cref="InvalidOperationException">A value has the wrong type, or <paramref name="application"/> does not exist.</exception>
    public static string FromDetailsJson(string json, string? application)
    {
        using var document = JsonDocument.Parse(json);
        var applications = new YamlMappingNode();
        foreach (var app in document.RootElement.GetProperty("applications").EnumerateObject())
        {
            var deployments = new YamlMappingNode();
            foreach (var deployment in app.Value.GetProperty("deployments").EnumerateObject())
            {
                var states = new YamlMappingNode();
                foreach (var state in deployment.Value.GetProperty("replica_states").EnumerateObject())
                {
                    states.Add(state.Name, state.Value.GetInt32().ToString(CultureInfo.InvariantCulture));
                }
                if (states.Children.Count == 0)
                {
                    states.Style = YamlDotNet.Core.Events.MappingStyle.Flow;
                }
                deployments.Add(deployment.Name, new YamlMappingNode
                {
                    { "status", Text(deployment.Value.GetProperty("status").GetString()!) },
                    { "status_trigger", Text(deployment.Value.GetProperty("status_trigger").GetString()!) },
                    { "replica_states", states },
                    { "message", Text(deployment.Value.GetProperty("message").GetString()!) },
                });
            }
            if (deployments.Children.Count == 0)
            {
                deployments.Style = YamlDotNet.Core.Events.MappingStyle.Flow;
            }
            var time = app.Value.GetProperty("last_deployed_time_s");
            applications.Add(app.Name, new YamlMappingNode
            {
                { "status", Text(app.Value.GetProperty("status").GetString()!) },
                { "message", Text(app.Value.GetProperty("message").GetString()!) },
                { "last_deployed_time_s", new YamlScalarNode(time.ValueKind == JsonValueKind.Number ? time.GetRawText() : "null") { Style = ScalarStyle.Plain } },
                { "deployments", deployments },
            });
        }

        YamlNode root;
        if (application is not null)
        {
            root = applications.Children.TryGetValue(new YamlScalarNode(application), out var one)
                ? one
                : throw new UnknownApplicationException($"Application \"{application}\" does not exist.");
        }
        else
        {
            if (applications.Children.Count == 0)
            {
                applications.Style = YamlDotNet.Core.Events.MappingStyle.Flow;
            }
            var capacity = document.RootElement.TryGetProperty("target_capacity", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetRawText() : "null";
            root = new YamlMappingNode
            {
                { "applications", applications },
                { "target_capacity", new YamlScalarNode(capacity) { Style = ScalarStyle.Plain } },
            };
        }

        return Save(root);
    }

    /// <summary>
    /// <c>serve config</c>'s output: each application's <c>deployed_app_config</c> as a YAML document, separated by
    /// <c>---</c> as Ray's are; Ray's sentences when there is none.
    /// </summary>
    /// <param name="json">A <c>GET /api/serve/applications/</c> answer.</param>
    /// <param name="application">Show only this application; null for all.</param>
    public static string DeployedConfigs(string json, string? application)
    {
        using var document = JsonDocument.Parse(json);
        var documents = new List<string>();
        foreach (var app in document.RootElement.GetProperty("applications").EnumerateObject())
        {
            if ((application is null || app.Name == application)
                && app.Value.TryGetProperty("deployed_app_config", out var deployed) && deployed.ValueKind == JsonValueKind.Object)
            {
                documents.Add(Save(ServeConfigWriter.FromJson(deployed)));
            }
        }
        if (documents.Count == 0)
        {
            return (application is null ? "No configuration was found." : $"No config has been deployed for application \"{application}\".") + Environment.NewLine;
        }
        return string.Join("---" + Environment.NewLine + Environment.NewLine, documents);
    }

    private static string Save(YamlNode root)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        var end = text.LastIndexOf("...", StringComparison.Ordinal);
        return (end >= 0 && text[end..].Trim() == "..." ? text[..end] : text).TrimEnd() + Environment.NewLine;
    }

    /// <summary>Multi-line messages (exception traces) as literal blocks, as Ray prints them; others quoted as needed.</summary>
    private static YamlScalarNode Text(string text)
        => text.Contains('\n', StringComparison.Ordinal) && !text.Any(c => char.IsControl(c) && c is not ('\n' or '\r'))
            ? new YamlScalarNode(text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd()) { Style = ScalarStyle.Literal }
            : ServeConfigWriter.Str(text);
}

/// <summary>The application asked for (<c>--name</c>) is not in the status: Ray's message, not a malformed answer.</summary>
internal sealed class UnknownApplicationException(string message) : Exception(message);
