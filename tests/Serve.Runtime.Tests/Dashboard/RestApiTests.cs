using System.Net;
using System.Text;
using System.Text.Json;
using Serve.Control;

namespace Serve.Runtime.Tests.Dashboard;

/// <summary>Ray's REST API (<c>/api/serve/applications/</c>) against a real host.</summary>
public sealed class RestApiTests : IAsyncLifetime
{
    private const string Path = "/api/serve/applications/";
    private DashboardHost _serve = null!;

    public async Task InitializeAsync() => _serve = await DashboardHost.StartAsync();

    public async Task DisposeAsync() => await _serve.DisposeAsync();

    private async Task<JsonElement> GetStatusAsync()
    {
        using var response = await _serve.Api.GetAsync(Path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, string Body, string? MediaType)> PutAsync(string body, string mediaType)
    {
        using var response = await _serve.Api.PutAsync(Path, new StringContent(body, Encoding.UTF8, mediaType));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    private int Replicas(string deployment) => _serve.Host.Controller.Applications.Single().Deployments.Single(d => d.Name == deployment).Router.Replicas.Count;

    [Fact]
    public async Task Get_answers_rays_serve_instance_details_shape()
    {
        var status = await GetStatusAsync();

        Assert.Equal(_serve.Host.HttpPort, status.GetProperty("http_options").GetProperty("port").GetInt32());
        Assert.Equal("EveryNode", status.GetProperty("proxy_location").GetString());
        var app = status.GetProperty("applications").GetProperty("app");
        Assert.Equal(("app", "/", "RUNNING", ""), (app.GetProperty("name").GetString(), app.GetProperty("route_prefix").GetString(),
            app.GetProperty("status").GetString(), app.GetProperty("message").GetString()));
        var deployed = app.GetProperty("last_deployed_time_s").GetDouble();
        Assert.InRange(deployed, DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds());
        Assert.Equal(["Helper", "Greeter"], app.GetProperty("deployments").EnumerateObject().Select(p => p.Name));

        var greeter = app.GetProperty("deployments").GetProperty("Greeter");
        Assert.Equal(("Greeter", "HEALTHY", "CONFIG_UPDATE_COMPLETED"),
            (greeter.GetProperty("name").GetString(), greeter.GetProperty("status").GetString(), greeter.GetProperty("status_trigger").GetString()));
        var options = greeter.GetProperty("deployment_config");
        Assert.Equal((1, 5, -1, JsonValueKind.Null), (options.GetProperty("num_replicas").GetInt32(), options.GetProperty("max_ongoing_requests").GetInt32(),
            options.GetProperty("max_queued_requests").GetInt32(), options.GetProperty("user_config").ValueKind));
        Assert.Equal(1, greeter.GetProperty("replica_states").GetProperty("RUNNING").GetInt32());
        var replica = Assert.Single(greeter.GetProperty("replicas").EnumerateArray());
        Assert.Equal(_serve.Host.Controller.Applications[0].Ingress.Router.Replicas[0].Id, replica.GetProperty("replica_id").GetString());
        Assert.Equal("RUNNING", replica.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Put_with_json_applies_the_config()
    {
        var json = $$$"""
            {"applications": [{"name": "app", "route_prefix": "/", "import_path": "{{{_serve.ImportPath}}}",
              "deployments": [{"name": "Helper", "num_replicas": 2, "user_config": {"threshold": 0.5, "labels": ["a", "b"]}}]}]}
            """;

        var (status, body, _) = await PutAsync(json, "application/json");

        Assert.Equal((HttpStatusCode.OK, ""), (status, body));
        Assert.Equal(2, Replicas("Helper"));
        var helper = (await GetStatusAsync()).GetProperty("applications").GetProperty("app").GetProperty("deployments").GetProperty("Helper");
        Assert.Equal(2, helper.GetProperty("deployment_config").GetProperty("num_replicas").GetInt32());
        Assert.Equal(0.5, helper.GetProperty("deployment_config").GetProperty("user_config").GetProperty("threshold").GetDouble());
        Assert.Equal(2, helper.GetProperty("replicas").GetArrayLength());
        Assert.Equal(2, _serve.Journal.Count("""reconfigured Helper {"threshold":0.5,"labels":["a","b"]}"""));
    }

    [Fact]
    public async Task Put_with_yaml_applies_the_config_and_again_changes_nothing()
    {
        var yaml = _serve.Yaml("""
                deployments:
                  - name: Greeter
                    num_replicas: 3
            """);

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(yaml, "application/yaml")).Status);
        var ids = _serve.Host.Controller.Applications[0].Ingress.Router.Replicas.Select(r => r.Id).ToArray();
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(yaml, "application/yaml")).Status);

        Assert.Equal(3, ids.Length);
        Assert.Equal(ids, _serve.Host.Controller.Applications[0].Ingress.Router.Replicas.Select(r => r.Id));
        Assert.Equal(3, _serve.Journal.Count("created Greeter"));
    }

    [Theory]
    [InlineData("applications:\n  - name: app\n    import_path: X.Y:Z\n    num_replicas: 2\n", "request body:4:5: applications[0].num_replicas: unknown key \"num_replicas\"")]
    [InlineData("applications: [", "request body:")]
    public async Task A_config_the_loader_rejects_is_400_with_its_messages(string body, string expected)
    {
        var (status, text, mediaType) = await PutAsync(body, "application/yaml");

        Assert.Equal((HttpStatusCode.BadRequest, "text/plain"), (status, mediaType));
        Assert.StartsWith(expected, text);
        Assert.Equal(["app"], _serve.Host.Controller.Routes.ApplicationNames);
    }

    [Fact]
    public async Task A_config_naming_an_unknown_deployment_is_400_and_the_server_keeps_serving()
    {
        var yaml = _serve.Yaml("""
                deployments:
                  - name: Greeter
                    num_replicas: 2
                  - name: Nope
            """);

        var (status, text, _) = await PutAsync(yaml, "application/yaml");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("config: applications[0].deployments[1].name: Deployment 'Nope' in the config is not part of application 'app'. Its deployments: Helper, Greeter.", text);
        Assert.Equal(1, Replicas("Greeter"));
        Assert.Equal("hello", await _serve.Proxy.GetStringAsync("/"));
    }

    [Fact]
    public async Task A_changed_http_port_is_ignored_with_a_warning_in_the_body_and_the_applications_are_applied()
    {
        var yaml = "http_options:\n  port: 8123\n" + _serve.Yaml("""
                deployments:
                  - name: Greeter
                    num_replicas: 2
            """);

        var (status, text, _) = await PutAsync(yaml, "application/yaml");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"http_options.port: cannot change while Serve is running (running: 0; requested: 8123); ignored, restart Serve to change it.", text);
        Assert.Equal(2, Replicas("Greeter"));
        Assert.Equal(0, _serve.Host.Controller.InstanceConfig!.HttpOptions.Port);
        Assert.Equal("hello", await _serve.Proxy.GetStringAsync("/"));
    }

    [Fact]
    public async Task Delete_removes_every_app_and_the_proxy_then_answers_404()
    {
        using var response = await _serve.Api.DeleteAsync(Path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty((await GetStatusAsync()).GetProperty("applications").EnumerateObject());
        using var proxied = await _serve.Proxy.GetAsync("/");
        Assert.Equal(HttpStatusCode.NotFound, proxied.StatusCode);
        await _serve.Host.Controller.WhenStoppedAsync();
        Assert.Equal(["disposed Greeter", "disposed Helper"], _serve.Journal.Starting("disposed"));

        // The instance keeps running: the app can come back.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_serve.Yaml(), "application/yaml")).Status);
        Assert.Equal("hello", await _serve.Proxy.GetStringAsync("/"));
        Assert.Equal(ApplicationStatus.Running, _serve.Host.Controller.Applications[0].Status);
    }

    [Fact]
    public async Task A_put_or_delete_whose_client_left_while_queued_is_not_applied_later()
    {
        // The first PUT holds the apply: its new user_config waits in ReconfigureAsync until released.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _serve.Journal.ReconfigureGate = release.Task;
        var held = _serve.Yaml("""
                deployments:
                  - name: Helper
                    user_config: {held: true}
            """);
        var holding = PutAsync(held, "application/yaml");
        await WaitUntilAsync(() => _serve.Journal.Count("""reconfigured Helper {"held":true}""") == 1);

        // A DELETE and a PUT queue behind it; their clients give up.
        using (var impatient = new HttpClient { BaseAddress = new Uri(_serve.Address), Timeout = TimeSpan.FromMilliseconds(300) })
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.DeleteAsync(Path));
            var scaled = _serve.Yaml("""
                    deployments:
                      - name: Greeter
                        num_replicas: 3
                """);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient.PutAsync(Path, new StringContent(scaled, Encoding.UTF8, "application/yaml")));
        }
        // Dropped once the server noticed each client left (at once here; later on a loaded machine).
        await WaitUntilAsync(() => _serve.Logs.Messages.Count(m => m.StartsWith("REST API: a ", StringComparison.Ordinal) && m.Contains("was dropped", StringComparison.Ordinal)) == 2);
        // The status stays readable while the apply runs.
        var during = (await GetStatusAsync()).GetProperty("applications").GetProperty("app");
        Assert.Equal("DEPLOYING", during.GetProperty("status").GetString());

        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await holding).Status);
        // Applies run in arrival order: had the dropped requests been kept, they would run before this one.
        Assert.Equal(HttpStatusCode.OK, (await PutAsync(held, "application/yaml")).Status);

        Assert.Equal(["app"], _serve.Host.Controller.Routes.ApplicationNames);
        Assert.Equal(1, Replicas("Greeter"));
        // Neither the DELETE (which stops every replica) nor the scale-up ran.
        Assert.Equal(1, _serve.Journal.Count("created Greeter"));
        Assert.Empty(_serve.Journal.Starting("disposed"));
        Assert.Equal("hello", await _serve.Proxy.GetStringAsync("/"));
    }

    [Fact]
    public async Task A_config_over_the_application_limit_is_400_at_once()
    {
        var yaml = new StringBuilder("applications:\n");
        for (var i = 0; i <= Serve.Config.ServeConfig.MaxApplications; i++)
        {
            yaml.Append($"  - name: a{i}\n    route_prefix: /a{i}\n    import_path: {_serve.ImportPath}\n");
        }

        var (status, text, _) = await PutAsync(yaml.ToString(), "application/yaml");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("request body:2:3: applications: holds 1,001 applications; a config may hold at most 1,000.", text);
        Assert.Equal(["app"], _serve.Host.Controller.Routes.ApplicationNames);
    }

    [Fact]
    public async Task A_config_over_the_replica_limit_is_400_and_nothing_starts()
    {
        var yaml = new StringBuilder("applications:\n");
        for (var i = 0; i < 2; i++)
        {
            yaml.Append($"  - name: a{i}\n    route_prefix: /a{i}\n    import_path: {_serve.ImportPath}\n    deployments:\n      - name: Helper\n        num_replicas: 6000\n");
        }

        var (status, text, _) = await PutAsync(yaml.ToString(), "application/yaml");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("config: applications: the config runs 12,002 replicas over all its deployments; one Serve instance runs at most 10,000.", text);
        Assert.Equal(1, _serve.Journal.Count("created Helper"));
    }

    [Fact]
    public async Task A_body_over_the_config_size_limit_is_413_declared_or_not()
    {
        var big = Encoding.ASCII.GetBytes(new string('#', Serve.Config.ServeConfigLoader.MaxConfigSize + 1));

        var (status, text) = await RawPutAsync($"Content-Length: {big.Length}", big);
        Assert.Equal(413, status);
        Assert.Equal("request body: the config is 16,777,217 bytes; at most 16,777,216 are accepted.", text);

        // Chunked: one chunk, past the limit.
        byte[] chunked = [.. Encoding.ASCII.GetBytes($"{big.Length:x}\r\n"), .. big, .. "\r\n0\r\n\r\n"u8];
        (status, text) = await RawPutAsync("Transfer-Encoding: chunked", chunked);
        Assert.Equal(413, status);
        Assert.Equal("request body: a config is at most 16,777,216 bytes.", text);

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(_serve.Yaml(), "application/yaml")).Status);
    }

    /// <summary>
    /// A PUT on a socket of its own, the way curl sends one: the server may answer and close before it read the whole
    /// body (HttpClient reports that as a failed send, not as the answer).
    /// </summary>
    private async Task<(int Status, string Body)> RawPutAsync(string bodyHeader, byte[] body)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _serve.Host.DashboardPort!.Value, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT {Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/yaml\r\n{bodyHeader}\r\n\r\n"), timeout.Token);
        try
        {
            await stream.WriteAsync(body, timeout.Token);
        }
        catch (IOException)
        {
            // Answered and closed early.
        }
        using var answer = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            answer.Write(buffer, 0, read);
        }
        var text = Encoding.UTF8.GetString(answer.ToArray());
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"Not an HTTP answer: {text}");
        return (int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture), text[(split + 4)..]);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "Timed out waiting.");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Other_paths_are_404_and_other_methods_405()
    {
        using var missing = await _serve.Api.GetAsync("/api/serve/deployments/");
        using var post = await _serve.Api.PostAsync(Path, new StringContent("{}"));

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.StartsWith("Path '/api/serve/deployments/' not found.", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Equal(["GET", "PUT", "DELETE"], post.Content.Headers.Allow);
    }
}
