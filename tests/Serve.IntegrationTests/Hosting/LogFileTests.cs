using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// <c>logging_config.logs_dir</c> and <c>encoding</c>: Serve's log goes to a file per process in the directory, and each
/// line a deployment writes while it handles a request names the application, deployment, replica and request id.
/// </summary>
[Collection(ServicesDeploymentCollection.Name)]
public sealed class LogFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Directory.CreateTempSubdirectory("serve-logs-").FullName, "logs");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_directory)!, recursive: true);

    private async Task<string> RunOneRequestAsync(LogEncoding encoding)
    {
        RuntimeHelpers.RunModuleConstructor(typeof(LogFileTests).Module.ModuleHandle);
        var config = new ServeConfig
        {
            HttpOptions = new HttpOptions { Port = 0 },
            GrpcOptions = new GrpcOptions { Port = 0 },
            LoggingConfig = new LoggingConfig { LogsDir = _directory, Encoding = encoding },
            Applications =
            [
                new ApplicationConfig
                {
                    Name = "greeter",
                    RoutePrefix = "/greeter",
                    ImportPath = "Serve.IntegrationTests.Hosting.ServicesApplications:Greeter",
                    Args = new Dictionary<string, string> { ["suffix"] = "bound" },
                },
            ],
        };
        var host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Information), new ServeHostOptions
        {
            ConfigureServices = services =>
            {
                services.AddSingleton<IGreetingStore>(new GreetingStore("hello"));
                services.AddScoped<ReplicaScope>();
                services.AddKeyedSingleton<Func<string, string>>("shout", (_, _) => text => text.ToUpperInvariant());
            },
        });
        await using (host)
        {
            await host.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/greeter/greet/ada");
            request.Headers.Add("x-request-id", "req-42");
            (await http.SendAsync(request)).EnsureSuccessStatusCode();
        }
        // Disposing the host flushed and closed the file.
        return await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(_directory)));
    }

    [Fact]
    public async Task Json_lines_carry_rays_fields_and_the_requests_replica()
    {
        var text = await RunOneRequestAsync(LogEncoding.Json);

        Assert.Matches(@"serve_\d+\.log$", Directory.GetFiles(_directory).Single());
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var greeting = Assert.Single(lines, l => l.GetProperty("message").GetString() == "greeting ada");
        Assert.Equal("INFO", greeting.GetProperty("levelname").GetString());
        Assert.Equal("greeter", greeting.GetProperty("application").GetString());
        Assert.Equal("ServicesDeployment", greeting.GetProperty("deployment").GetString());
        Assert.StartsWith("greeter#ServicesDeployment#", greeting.GetProperty("replica").GetString());
        Assert.Equal("req-42", greeting.GetProperty("request_id").GetString());
        Assert.Equal("ada", greeting.GetProperty("Name").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}$", greeting.GetProperty("asctime").GetString());
        // The proxy's access line, written after the request, names it too.
        var access = Assert.Single(lines, l => l.GetProperty("message").GetString()!.StartsWith("HTTP GET /greeter/greet/ada", StringComparison.Ordinal));
        Assert.Equal(("greeter", "req-42"), (access.GetProperty("application").GetString(), access.GetProperty("request_id").GetString()));
        // Serve's own lines are there too, outside any request.
        Assert.Contains(lines, l => l.GetProperty("message").GetString()!.StartsWith("Deployed app 'greeter'", StringComparison.Ordinal)
                                    && l.GetProperty("request_id").GetString() == "");
    }

    [Fact]
    public async Task Text_lines_name_the_application_deployment_replica_and_request()
    {
        var text = await RunOneRequestAsync(LogEncoding.Text);

        var line = Assert.Single(text.Split('\n'), l => l.EndsWith("-- greeting ada", StringComparison.Ordinal));
        Assert.Matches(@"^INFO \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} greeter ServicesDeployment greeter#ServicesDeployment#\w+ \[req-42\] ", line);
    }
}
