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
