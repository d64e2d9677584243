using System.Net;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Userdefinedprotos;

namespace Serve.IntegrationTests.Hostile;

/// <summary>
/// Hostile configs against the quickstart host running as its own process, as an operator's mistake or an attacker
/// would send them to the REST API and the CLI: YAML nested 50,000 deep (it overflowed the stack and killed the
/// process), a YAML alias bomb (8.9 GB for 1.8 KB), and very large configs (10,000 applications took 8 minutes and
/// wedged every later request). Each is refused or served in bounded time and memory, and the host keeps serving.
/// </summary>
public sealed class ControlPlaneTests : IAsyncLifetime
{
    private static readonly string s_dll = HostProcess.Program("GrpcQuickstart");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private HostProcess _host = null!;
    private GrpcChannel _channel = null!;

    private string ApplicationsUri => _host.Serve.DashboardAddress + "/api/serve/applications/";

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync("GrpcQuickstart", Paths.Sample("config.yaml"));
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_host.Serve.GrpcPort}");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _channel.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Deeply_nested_yaml_is_400_and_the_host_keeps_serving()
    {
        foreach (var depth in new[] { 50_000, 30_000 })
        {
            var yaml = "x: " + new string('[', depth) + new string(']', depth);

            var (status, body) = await PutAsync(yaml);

            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("request body:1:103: the document nests more than 100 levels deep here; a Serve config needs far fewer.", body);
        }
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_yaml_alias_bomb_is_400_without_expanding_it()
    {
        var before = ProcessMemory.Resident(_host.Serve.Id);
        ProcessMemory.ResetPeak(_host.Serve.Id);

        // Seven levels: ten times the limit, yet small enough (10^7 strings) that a regression fails the test, not the machine.
        var (status, body) = await PutAsync(AliasBomb(levels: 7));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("the document holds more than 1,000,000 values with its aliases expanded", body, StringComparison.Ordinal);
        // Expanded, 8 levels took 8.9 GB and 9 ran out of memory at 11.8 GB; refused, it costs the request and nothing more.
        var grown = ProcessMemory.Peak(_host.Serve.Id) - before;
        Assert.True(grown < 64 * 1024 * 1024, $"The host's peak memory grew by {grown / (1024 * 1024)} MB.");
        await AssertServingAsync();
    }

    [Fact]
    public async Task The_cli_refuses_the_same_files_with_exit_code_2()
    {
        var deep = Path.Combine(_host.Directory, "deep.yaml");
        await File.WriteAllTextAsync(deep, "x: " + new string('[', 50_000) + new string(']', 50_000));
        var bomb = Path.Combine(_host.Directory, "bomb.yaml");
        await File.WriteAllTextAsync(bomb, AliasBomb(levels: 7));

        foreach (var (file, expected) in new[] { (deep, "nests more than 100 levels deep"), (bomb, "more than 1,000,000 values with its aliases expanded") })
        {
            foreach (var command in new[] { "deploy", "run" })
            {
                string[] arguments = command == "deploy"
                    ? [s_dll, "deploy", file, "--address", _host.Serve.DashboardAddress]
                    : [s_dll, "run", file, "--http-port", "0", "--grpc-port", "0", "--dashboard-port", "-1"];
                var (exit, output) = await ExternalProcess.RunAsync("dotnet", arguments, TimeSpan.FromSeconds(60), _host.Directory);

                Assert.True(exit == 2, $"{command} {Path.GetFileName(file)} exited {exit}:\n{output}");
                Assert.Contains(expected, output, StringComparison.Ordinal);
            }
        }
        await AssertServingAsync();
    }

    [Fact]
    public async Task A_config_at_the_application_limit_applies_and_one_past_it_is_400()
    {
        var status = await PutAsync(Applications(Config.ServeConfig.MaxApplications));
        Assert.Equal((HttpStatusCode.OK, ""), status);
        var details = await _http.GetStringAsync(new Uri(ApplicationsUri));
        Assert.Contains("\"a999\":", details, StringComparison.Ordinal);

        // 10,000 applications took 8 min 16 s to apply; past the limit, the answer is at once.
        var (tooMany, body) = await PutAsync(Applications(10_000));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Equal("request body:2:3: applications: holds 10,000 applications; a config may hold at most 1,000.", body);

        Assert.Equal((HttpStatusCode.OK, ""), await PutAsync(await File.ReadAllTextAsync(Paths.Sample("config.yaml"))));
        await AssertServingAsync();
    }

    /// <summary>~1.8 KB of YAML whose <c>user_config</c> expands to 10^levels strings.</summary>
    private static string AliasBomb(int levels)
    {
        var yaml = new StringBuilder("""
            applications:
              - name: app1
                route_prefix: /app1
                import_path: GrpcQuickstart.Applications:App1
                deployments:
                  - name: GrpcDeployment
                    user_config:

            """);
        yaml.Append("          l0: &l0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
        for (var i = 1; i < levels; i++)
        {
            yaml.Append($"          l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]\n");
        }
        return yaml.ToString();
    }

    private static string Applications(int count)
    {
        var yaml = new StringBuilder("applications:\n");
        for (var i = 0; i < count; i++)
        {
            yaml.Append($"  - name: a{i}\n    route_prefix: /a{i}\n    import_path: GrpcQuickstart.Applications:App1\n");
        }
        return yaml.ToString();
    }

    private async Task<(HttpStatusCode Status, string Body)> PutAsync(string yaml)
    {
        using var response = await _http.PutAsync(new Uri(ApplicationsUri), new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task AssertServingAsync()
    {
        Assert.False(_host.Serve.HasExited, "The host exited:\n" + _host.Serve.Output);
        var client = new UserDefinedService.UserDefinedServiceClient(_channel);
        var reply = await client.__call__Async(new UserDefinedMessage { Name = "after", Num = 21, Origin = "probe" },
            new CallOptions(new Metadata { { "application", "app1" } }, DateTime.UtcNow.AddSeconds(30)));
        Assert.Equal("Hello after from probe", reply.Greeting);
    }
}
