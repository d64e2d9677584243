using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Serve.Config;
using Serve.Hosting;
using YamlDotNet.RepresentationModel;

namespace Serve.Runtime.Tests.Dashboard;

/// <summary><c>serve deploy</c>, <c>status</c> and <c>shutdown</c> against a real host's REST API.</summary>
public sealed class CommandLineTests : IAsyncLifetime
{
    private DashboardHost _serve = null!;
    private readonly string _directory = Directory.CreateTempSubdirectory("serve-cli-").FullName;

    public async Task InitializeAsync() => _serve = await DashboardHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    internal static async Task<(int Exit, string Output, string Error)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ServeCommandLine.BuildRootCommand().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private string WriteFile(string yaml)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private int Replicas(string deployment) => _serve.Host.Controller.Applications.Single().Deployments.Single(d => d.Name == deployment).Router.Replicas.Count;

    [Fact]
    public async Task Deploy_sends_the_file_and_reports_success()
    {
        var file = WriteFile(_serve.Yaml("""
                deployments:
                  - name: Helper
                    num_replicas: 2
            """));

        var (exit, output, error) = await InvokeAsync("deploy", file, "--address", _serve.Address);

        Assert.Equal((0, ""), (exit, error));
        Assert.StartsWith("Sent deploy request successfully.", output);
        Assert.Equal(2, Replicas("Helper"));
    }

    [Fact]
    public async Task Deploy_of_a_file_whose_instance_options_differ_applies_its_apps_and_warns_about_each_option()
    {
        // A file written by `build` says host 0.0.0.0; this host runs on 127.0.0.1 (as with `run --host`).
        var file = WriteFile("http_options:\n  host: 0.0.0.0\n" + _serve.Yaml("""
                deployments:
                  - name: Helper
                    num_replicas: 2
            """));

        var (exit, output, error) = await InvokeAsync("deploy", file, "--address", _serve.Address);

        Assert.Equal(0, exit);
        Assert.StartsWith("Sent deploy request successfully.", output);
        Assert.Equal("Warning: http_options.host: cannot change while Serve is running (running: \"127.0.0.1\"; requested: \"0.0.0.0\"); ignored, restart Serve to change it." + Environment.NewLine, error);
        Assert.Equal(2, Replicas("Helper"));
    }

    [Fact]
    public async Task Config_prints_each_applications_entry_of_the_last_config_applied()
    {
        var file = WriteFile(_serve.Yaml("""
                deployments:
                  - name: Helper
                    num_replicas: 2
                    autoscaling_config: ~
            """));
        Assert.Equal(0, (await InvokeAsync("deploy", file, "--address", _serve.Address)).Exit);

        var (exit, output, error) = await InvokeAsync("config", "--address", _serve.Address);

        Assert.Equal((0, ""), (exit, error));
        // The application's entry as the file set it, read back as a config: what was deployed.
        var entry = ServeConfigLoader.Load("applications:\n- " + output.Replace("\n", "\n  ", StringComparison.Ordinal).TrimEnd(), "printed").Applications.Single();
        Assert.Equal(("app", _serve.ImportPath), (entry.Name, entry.ImportPath));
        Assert.Equal(2, entry.Deployments.Single(d => d.Name == "Helper").NumReplicas);
        Assert.DoesNotContain("---", output);
    }

    [Fact]
    public async Task Config_of_an_application_that_does_not_exist_says_so_as_ray_does()
    {
        var (exit, output, _) = await InvokeAsync("config", "--address", _serve.Address, "-n", "nope");
        Assert.Equal((0, "No config has been deployed for application \"nope\"." + Environment.NewLine), (exit, output));
    }

    [Fact]
    public async Task Deploy_checks_the_file_locally_first_and_exits_2_with_the_loaders_message()
    {
        var file = WriteFile(_serve.Yaml("""
                deployments:
                  - name: Helper
                    num_replica: 2
            """));

        var (exit, output, error) = await InvokeAsync("deploy", file, "--address", _serve.Address);

        Assert.Equal((2, ""), (exit, output));
        Assert.StartsWith($"{file}:7:9: applications[0].deployments[0].num_replica: unknown key \"num_replica\" in a deployment's options. Did you mean \"num_replicas\"?", error);
        Assert.Equal(1, Replicas("Helper"));
    }

    [Fact]
    public async Task Deploy_prints_the_servers_rejection_and_exits_1()
    {
        var file = WriteFile(_serve.Yaml("""
                deployments:
                  - name: Missing
            """));

        var (exit, output, error) = await InvokeAsync("deploy", file, "--address", _serve.Address);

        Assert.Equal((1, ""), (exit, output));
        Assert.Equal(
            $"Serve at {_serve.Address} answered 400: config: applications[0].deployments[0].name: Deployment 'Missing' in the config is not part of application 'app'. Its deployments: Helper, Greeter.",
            error.TrimEnd());
    }

    [Fact]
    public async Task Deploy_to_an_address_nobody_listens_on_says_so_and_exits_1()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var file = WriteFile(_serve.Yaml());

        var (exit, _, error) = await InvokeAsync("deploy", file, "--address", $"http://127.0.0.1:{port}");

        Assert.Equal(1, exit);
        Assert.StartsWith($"Could not reach Serve's REST API at http://127.0.0.1:{port}: ", error);
        Assert.Contains($"Is `{ServeCommandLine.ProgramName} run` running there?", error);
    }

    [Fact]
    public async Task Status_of_an_application_that_does_not_exist_says_so_as_ray_does()
    {
        var (exit, output, error) = await InvokeAsync("status", "--address", _serve.Address, "-n", "nope");
        Assert.Equal((1, "", "Application \"nope\" does not exist." + Environment.NewLine), (exit, output, error));
    }

    [Fact]
    public async Task Status_prints_rays_layout()
    {
        var (exit, output, error) = await InvokeAsync("status", "--address", _serve.Address);

        Assert.Equal((0, ""), (exit, error));
        Assert.StartsWith("applications:\n  app:\n    status: RUNNING\n    message: ''\n    last_deployed_time_s: ", output.ReplaceLineEndings("\n"));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var app = (YamlMappingNode)((YamlMappingNode)root["applications"])["app"];
        var greeter = (YamlMappingNode)((YamlMappingNode)app["deployments"])["Greeter"];
        Assert.Equal(["status", "status_trigger", "replica_states", "message"], greeter.Children.Keys.Select(k => k.ToString()));
        Assert.Equal("HEALTHY", greeter["status"].ToString());
        Assert.Equal("1", ((YamlMappingNode)greeter["replica_states"])["RUNNING"].ToString());
        Assert.Equal(["Helper", "Greeter"], ((YamlMappingNode)app["deployments"]).Children.Keys.Select(k => k.ToString()));
    }

    [Fact]
    public async Task Status_shows_a_failed_app_with_its_message()
    {
        var file = WriteFile(_serve.Yaml().Replace(_serve.ImportPath, "Nowhere.App:Missing", StringComparison.Ordinal));
        Assert.Equal(0, (await InvokeAsync("deploy", file, "--address", _serve.Address)).Exit);

        var (exit, output, _) = await InvokeAsync("status", "--address", _serve.Address, "--name", "app");

        Assert.Equal(0, exit);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output));
        var app = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("DEPLOY_FAILED", app["status"].ToString());
        Assert.StartsWith("Import path 'Nowhere.App:Missing' names no application builder or deployment.", app["message"].ToString());
        // The running version still serves.
        Assert.Equal("hello", await _serve.Proxy.GetStringAsync("/"));
    }

    [Fact]
    public async Task Shutdown_deletes_every_app()
    {
        var (exit, output, _) = await InvokeAsync("shutdown", "--address", _serve.Address, "-y");

        Assert.Equal(0, exit);
        Assert.Equal("Sent shutdown request; applications will be deleted asynchronously.", output.TrimEnd());
        Assert.Empty(_serve.Host.Controller.Routes.ApplicationNames);
        var (_, status, _) = await InvokeAsync("status", "--address", _serve.Address);
        Assert.Equal("applications: {}\ntarget_capacity: null\n", status.ReplaceLineEndings("\n"));
    }
}
