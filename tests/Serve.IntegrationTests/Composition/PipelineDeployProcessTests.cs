using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Serve.IntegrationTests.Composition;

/// <summary>
/// The composition issue's declarative workflow as a user runs it, with real processes: the Pipeline
/// sample's <c>build</c> writes the full config, <c>run</c> serves it, <c>deploy</c> of the same file
/// changes nothing, a changed <c>num_replicas</c> changes that node alone, <c>status</c> and
/// <c>shutdown</c> talk to the running host's REST API.
/// </summary>
public sealed class PipelineDeployProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan s_commandTimeout = TimeSpan.FromSeconds(90);
    private static readonly string[] s_nodes = ["m1", "m2", "Ensemble", "PipelineIngress"];

    private readonly string _directory = Directory.CreateTempSubdirectory("serve-pipeline-deploy-").FullName;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private ServeProcess? _serve;

    private static string Dll => Path.Combine(AppContext.BaseDirectory, "Pipeline.dll");

    private string ConfigPath => Path.Combine(_directory, "serve.yaml");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_serve is not null)
        {
            await _serve.DisposeAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }

    private Task<(int ExitCode, string Output)> PipelineAsync(params string[] arguments)
        => ExternalProcess.RunAsync("dotnet", [Dll, .. arguments], s_commandTimeout, _directory);

    /// <summary><c>build Pipeline.Graphs:App -o serve.yaml</c>; returns the file's text.</summary>
    private async Task<string> BuildAsync()
    {
        var (exit, output) = await PipelineAsync("build", "Pipeline.Graphs:App", "-o", ConfigPath);
        Assert.True(exit == 0, $"build exited {exit}:\n{output}");
        return await File.ReadAllTextAsync(ConfigPath);
    }

    /// <summary>Builds the config, makes the proxies listen on 127.0.0.1 (an edit a user makes), and runs it on free ports.</summary>
    private async Task<ServeProcess> BuildAndRunAsync()
    {
        var yaml = await BuildAsync();
        await File.WriteAllTextAsync(ConfigPath, ReplaceOnce(yaml, "  host: 0.0.0.0\n", "  host: 127.0.0.1\n"));
        _serve = await ServeProcess.StartAsync(Dll, ["run", ConfigPath, "--http-port", "0", "--grpc-port", "0", "--dashboard-port", "0"], _directory);
        return _serve;
    }

    private static string ReplaceOnce(string text, string old, string replacement)
    {
        var at = text.IndexOf(old, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(old, at + 1, StringComparison.Ordinal) < 0, $"Expected exactly one '{old.TrimEnd()}' in:\n{text}");
        return string.Concat(text.AsSpan(0, at), replacement, text.AsSpan(at + old.Length));
    }

    private async Task<string> PostPipelineAsync(ServeProcess serve, string body = "[1, 2, 3]")
    {
        using var content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await _http.PostAsync(new Uri($"http://127.0.0.1:{serve.HttpPort}/"), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST / answered {(int)response.StatusCode}: {text}");
        return text;
    }

    private async Task<JsonElement> ApplicationsAsync(ServeProcess serve)
    {
        var json = await _http.GetStringAsync(new Uri(serve.DashboardAddress + "/api/serve/applications/"));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("applications").Clone();
    }

    private sealed record Node(string Status, int NumReplicas, IReadOnlyList<string> ReplicaIds, IReadOnlyList<string> ReplicaStates);

    /// <summary>app1's status and its deployments, from the REST API's <c>ServeInstanceDetails</c>.</summary>
    private async Task<(string Status, Dictionary<string, Node> Nodes)> App1Async(ServeProcess serve)
    {
        var app = (await ApplicationsAsync(serve)).GetProperty("app1");
        var nodes = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var deployment in app.GetProperty("deployments").EnumerateObject())
        {
            var replicas = deployment.Value.GetProperty("replicas").EnumerateArray().ToArray();
            nodes[deployment.Name] = new Node(
                deployment.Value.GetProperty("status").GetString()!,
                deployment.Value.GetProperty("deployment_config").GetProperty("num_replicas").GetInt32(),
                [.. replicas.Select(r => r.GetProperty("replica_id").GetString()!)],
                [.. replicas.Select(r => r.GetProperty("state").GetString()!)]);
        }
        return (app.GetProperty("status").GetString()!, nodes);
    }

    /// <summary>Polls the REST API until app1 is RUNNING with every node at its target, all replicas RUNNING.</summary>
    private async Task<Dictionary<string, Node>> WaitUntilSettledAsync(ServeProcess serve, IReadOnlyDictionary<string, int> expectedReplicas)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (status, nodes) = await App1Async(serve);
            var settled = status == "RUNNING"
                && nodes.Count == expectedReplicas.Count
                && expectedReplicas.All(e => nodes.TryGetValue(e.Key, out var n)
                    && n.Status == "HEALTHY"
                    && n.ReplicaIds.Count == e.Value
                    && n.ReplicaStates.All(s => s == "RUNNING"));
            if (settled)
            {
                return nodes;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException(
                    $"app1 did not settle at {string.Join(", ", expectedReplicas)}; last status {status}: "
                    + string.Join("; ", nodes.Select(n => $"{n.Key} {n.Value.Status} [{string.Join(", ", n.Value.ReplicaStates)}]"))
                    + $"\nServe output:\n{serve.Output}");
            }
            await Task.Delay(50);
        }
    }

    private async Task DeployAsync(ServeProcess serve)
    {
        var (exit, output) = await PipelineAsync("deploy", ConfigPath, "--address", serve.DashboardAddress);
        Assert.True(exit == 0, $"deploy exited {exit}:\n{output}");
        Assert.Contains("Sent deploy request successfully.", output, StringComparison.Ordinal);
        // The hint names the command that ran this program (`dotnet <path>/Pipeline.dll`): there is no `serve` executable;
        // and the address deploy was given, so that the hint can be run as it stands.
        Assert.Matches(@" \* Use `dotnet \S*Pipeline\.dll status --address " + System.Text.RegularExpressions.Regex.Escape(serve.DashboardAddress)
            + "` to check applications' statuses\\.", output);
    }

    [Fact]
    public async Task Build_writes_every_node_of_the_graph_with_its_options_and_defaults()
    {
        var yaml = await BuildAsync();

        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var grpc = (YamlMappingNode)root["grpc_options"];
        Assert.Equal(["pipeline.Pipeline"], ((YamlSequenceNode)grpc["grpc_servicer_functions"]).Select(n => n.ToString()));
        var app = (YamlMappingNode)Assert.Single((YamlSequenceNode)root["applications"]);
        Assert.Equal("app1", app["name"].ToString());
        Assert.Equal("/", app["route_prefix"].ToString());
        Assert.Equal("Pipeline.Graphs:App", app["import_path"].ToString());
        var deployments = ((YamlSequenceNode)app["deployments"]).Cast<YamlMappingNode>().ToArray();
        Assert.Equal(s_nodes, deployments.Select(d => d["name"].ToString()));
        Assert.All(deployments, d =>
        {
            Assert.Equal("1", d["num_replicas"].ToString());
            Assert.Equal("5", d["max_ongoing_requests"].ToString());
            Assert.Equal("-1", d["max_queued_requests"].ToString());
        });
    }

    [Fact]
    public async Task Run_serves_the_built_file_redeploying_it_changes_nothing_and_scaling_m1_touches_only_m1()
    {
        var serve = await BuildAndRunAsync();
        try
        {
            Assert.Equal("8", await PostPipelineAsync(serve));
            var initial = await WaitUntilSettledAsync(serve, s_nodes.ToDictionary(n => n, _ => 1));
            Assert.Equal(s_nodes.Order(StringComparer.Ordinal), initial.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(4, initial.Values.SelectMany(n => n.ReplicaIds).Distinct().Count());

            // The same file, twice: nothing restarts.
            await DeployAsync(serve);
            var afterFirst = await WaitUntilSettledAsync(serve, s_nodes.ToDictionary(n => n, _ => 1));
            await DeployAsync(serve);
            var afterSecond = await WaitUntilSettledAsync(serve, s_nodes.ToDictionary(n => n, _ => 1));
            foreach (var node in s_nodes)
            {
                Assert.Equal(initial[node].ReplicaIds, afterFirst[node].ReplicaIds);
                Assert.Equal(initial[node].ReplicaIds, afterSecond[node].ReplicaIds);
            }
            Assert.Equal("8", await PostPipelineAsync(serve));

            // One node's num_replicas edited: m1 grows to 3, keeping its replica; the others keep theirs.
            var yaml = await File.ReadAllTextAsync(ConfigPath);
            await File.WriteAllTextAsync(ConfigPath, ReplaceOnce(yaml, "  - name: m1\n    num_replicas: 1\n", "  - name: m1\n    num_replicas: 3\n"));
            await DeployAsync(serve);
            var scaled = await WaitUntilSettledAsync(serve, new Dictionary<string, int> { ["m1"] = 3, ["m2"] = 1, ["Ensemble"] = 1, ["PipelineIngress"] = 1 });
            Assert.Equal(3, scaled["m1"].NumReplicas);
            Assert.Equal(3, scaled["m1"].ReplicaIds.Distinct().Count());
            Assert.Contains(Assert.Single(initial["m1"].ReplicaIds), scaled["m1"].ReplicaIds);
            foreach (var node in s_nodes.Where(n => n != "m1"))
            {
                Assert.Equal(1, scaled[node].NumReplicas);
                Assert.Equal(initial[node].ReplicaIds, scaled[node].ReplicaIds);
            }
            for (var i = 0; i < 6; i++)
            {
                Assert.Equal("8", await PostPipelineAsync(serve));
            }

            // A file naming a deployment the graph does not have is refused as a whole, naming it.
            var unknown = Path.Combine(_directory, "unknown.yaml");
            await File.WriteAllTextAsync(unknown, ReplaceOnce(await File.ReadAllTextAsync(ConfigPath), "  - name: m2\n", "  - name: m9\n"));
            var (exit, output) = await PipelineAsync("deploy", unknown, "--address", serve.DashboardAddress);
            Assert.NotEqual(0, exit);
            Assert.Contains("'m9'", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Sent deploy request successfully.", output, StringComparison.Ordinal);
            var afterRejection = await WaitUntilSettledAsync(serve, new Dictionary<string, int> { ["m1"] = 3, ["m2"] = 1, ["Ensemble"] = 1, ["PipelineIngress"] = 1 });
            foreach (var node in s_nodes)
            {
                Assert.Equal(scaled[node].ReplicaIds.Order(StringComparer.Ordinal), afterRejection[node].ReplicaIds.Order(StringComparer.Ordinal));
            }
            Assert.Equal("8", await PostPipelineAsync(serve));

            // serve status: Ray's YAML, app1 RUNNING and m1 with three running replicas.
            var (statusExit, status) = await PipelineAsync("status", "--address", serve.DashboardAddress);
            Assert.True(statusExit == 0, $"status exited {statusExit}:\n{status}");
            var statusYaml = new YamlStream();
            statusYaml.Load(new StringReader(status));
            var app1 = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)statusYaml.Documents[0].RootNode)["applications"])["app1"];
            Assert.Equal("RUNNING", app1["status"].ToString());
            var statusNodes = (YamlMappingNode)app1["deployments"];
            Assert.Equal(s_nodes.Order(StringComparer.Ordinal), statusNodes.Children.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
            Assert.Equal("3", ((YamlMappingNode)((YamlMappingNode)statusNodes["m1"])["replica_states"])["RUNNING"].ToString());

            Assert.Equal(0, await serve.TerminateAsync(TimeSpan.FromSeconds(60)));
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{ex}\nServe output:\n{serve.Output}");
        }
    }

    [Fact]
    public async Task Shutdown_removes_the_applications_and_the_process_keeps_running_until_sigterm()
    {
        var serve = await BuildAndRunAsync();
        try
        {
            Assert.Equal("8", await PostPipelineAsync(serve));

            var (exit, output) = await PipelineAsync("shutdown", "-y", "--address", serve.DashboardAddress);
            Assert.True(exit == 0, $"shutdown exited {exit}:\n{output}");
            Assert.Contains("Sent shutdown request", output, StringComparison.Ordinal);

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while ((await ApplicationsAsync(serve)).EnumerateObject().Any())
            {
                Assert.True(DateTime.UtcNow < deadline, "The applications were not removed.");
                await Task.Delay(50);
            }

            // Still running, serving no application: the HTTP proxy answers, with nothing routed.
            Assert.False(serve.HasExited);
            using (var content = new StringContent("[1, 2, 3]", Encoding.UTF8, new MediaTypeHeaderValue("application/json")))
            using (var response = await _http.PostAsync(new Uri($"http://127.0.0.1:{serve.HttpPort}/"), content))
            {
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }
            var (statusExit, status) = await PipelineAsync("status", "--address", serve.DashboardAddress);
            Assert.Equal(0, statusExit);
            Assert.StartsWith("applications: {}", status, StringComparison.Ordinal);
            Assert.False(serve.HasExited);

            Assert.Equal(0, await serve.TerminateAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("Serve shut down cleanly.", serve.Output, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{ex}\nServe output:\n{serve.Output}");
        }
    }
}
