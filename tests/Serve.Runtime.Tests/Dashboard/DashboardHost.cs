using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Dispatch;
using Serve.Hosting;
using Serve.Http;
using Serve.Runtime.Tests.Control;

namespace Serve.Runtime.Tests.Dashboard;

/// <summary>
/// A real host on free ports of 127.0.0.1 with the REST API on: one app, <c>app</c> at <c>/</c>, whose
/// HTTP ingress <c>Greeter</c> calls a child <c>Helper</c> and answers "hello".
/// </summary>
internal sealed class DashboardHost : IAsyncDisposable
{
    private DashboardHost(ServeHost host, string importPath, Journal journal, LogCapture logs)
    {
        Logs = logs;
        Host = host;
        ImportPath = importPath;
        Journal = journal;
        Api = new HttpClient { BaseAddress = new Uri(Address) };
        Proxy = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };
    }

    public ServeHost Host { get; }

    /// <summary>The app's import path, registered for this host only.</summary>
    public string ImportPath { get; }

    public Journal Journal { get; }

    /// <summary>What the host logged at Warning and above.</summary>
    public LogCapture Logs { get; }

    /// <summary>The REST API's base address, as <c>--address</c> takes it.</summary>
    public string Address => $"http://127.0.0.1:{Host.DashboardPort}";

    public HttpClient Api { get; }

    public HttpClient Proxy { get; }

    public static async Task<DashboardHost> StartAsync()
    {
        var journal = new Journal();
        var kit = new ReconcileKit(journal);
        var greeter = kit.Definition("Greeter", children: 1);
        var definition = new DeploymentDefinition(greeter.Name, greeter.TypeName, greeter.Options, greeter.BindParameterCount, greeter.Factory, [], [])
        {
            HttpRoutes =
            [
                new HttpRouteDefinition(null, null, "Hello", static (_, call) => call.WriteResultAsync(HttpResult.Text("hello"))),
            ],
        };
        var importPath = ReconcileKit.Register(() => new Application<Tracked>(definition, [kit.Bound("Helper")]));
        var config = new ServeConfig
        {
            HttpOptions = new HttpOptions { Port = 0 },
            Applications = [new ApplicationConfig { Name = "app", RoutePrefix = "/", ImportPath = importPath }],
        };
        config.Validate();
        var logs = new LogCapture();
        var host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning).AddProvider(logs), new ServeHostOptions { DashboardPort = 0 });
        await host.StartAsync();
        Assert.NotNull(host.DashboardPort);
        return new DashboardHost(host, importPath, journal, logs);
    }

    /// <summary>The app's config with the given deployment entries, as YAML (http_options left out).</summary>
    public string Yaml(string deployments = "") =>
        $"""
        applications:
          - name: app
            route_prefix: /
            import_path: {ImportPath}
        {deployments}
        """;

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Proxy.Dispose();
        await Host.DisposeAsync();
    }
}
