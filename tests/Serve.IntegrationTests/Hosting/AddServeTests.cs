using System.Net;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.IntegrationTests.Probe;
using Userdefinedprotos;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// Serve inside a user's own ASP.NET Core application: <c>AddServe</c> and <c>MapServe</c> next to the user's own
/// endpoints, on the application's own Kestrel endpoints (one HTTP/2 for gRPC, one HTTP/1.1).
/// </summary>
public sealed class AddServeTests
{
    private sealed class UserApp(WebApplication app, int grpcPort, int httpPort) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;
        public GrpcChannel Channel { get; } = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        public HttpClient Http { get; } = new() { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            Channel.Dispose();
            await App.DisposeAsync();
        }
    }

    private static WebApplication Build(ServeConfig config, Action<WebApplication>? map = null, bool mapServe = true)
    {
        RuntimeHelpers.RunModuleConstructor(typeof(GrpcQuickstart.GrpcDeployment).Module.ModuleHandle);
        RuntimeHelpers.RunModuleConstructor(typeof(AddServeTests).Module.ModuleHandle);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddServe(config);
        var app = builder.Build();
        app.MapGet("/hello", () => "hello from the app");
        if (mapServe)
        {
            app.MapServe();
        }
        map?.Invoke(app);
        return app;
    }

    private static async Task<UserApp> StartAsync(ServeConfig config, Action<WebApplication>? map = null)
    {
        var app = Build(config, map);
        await app.StartAsync();
        var ports = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(a => new Uri(a).Port).ToArray();
        return new UserApp(app, ports[0], ports[1]);
    }

    [Fact]
    public async Task The_apps_own_endpoints_and_Serves_applications_answer_side_by_side()
    {
        await using var user = await StartAsync(ServeTestHost.MultiAppConfig(), app => app.MapServeApi());

        Assert.Equal("hello from the app", await user.Http.GetStringAsync("/hello"));

        // An HTTP application under its route prefix, through Serve's HTTP proxy.
        using var probe = await user.Http.GetAsync("/probe/echo/7?q=x");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        Assert.Equal("7:x:probe", await probe.Content.ReadAsStringAsync());

        // What neither serves: Serve's 404.
        using var missing = await user.Http.GetAsync("/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("Path '/nowhere' not found", await missing.Content.ReadAsStringAsync());

        // gRPC through grpc-dotnet's client, with the application metadata, as against `serve run`.
        var client = new UserDefinedService.UserDefinedServiceClient(user.Channel);
        var reply = await client.__call__Async(new UserDefinedMessage { Name = "foo", Origin = "bar", Num = 30 }, new Metadata { { "application", "app1" } });
        Assert.Equal(("Hello foo from bar", 60), (reply.Greeting, reply.Num));
        var probeReply = await new Probe.Probe.ProbeClient(user.Channel).EchoAsync(new ProbeRequest { Text = "hi" }, new Metadata { { "application", "probe" } });
        Assert.Contains("hi", probeReply.Text);

        var health = await new Health.HealthClient(user.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);

        // The REST API, mapped on request.
        var status = await user.Http.GetStringAsync("/api/serve/applications/");
        Assert.Contains("\"app1\"", status);
        Assert.Contains("RUNNING", status);
    }

    [Fact]
    public async Task Stopping_the_app_drains_health_then_stops_the_replicas()
    {
        var user = await StartAsync(ServeTestHost.MultiAppConfig());
        var health = new Health.HealthClient(user.Channel);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var watch = health.Watch(new HealthCheckRequest(), cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, watch.ResponseStream.Current.Status);

        var stopping = user.App.StopAsync();
        // Health turns NOT_SERVING as the host begins to stop (or the stream ends as the server closes it).
        try
        {
            Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, watch.ResponseStream.Current.Status);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Cancelled)
        {
        }
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        var controller = user.App.Services.GetRequiredService<Control.ServeController>();
        Assert.All(controller.Routes.Applications.Values, a => Assert.All(a.Deployments, d => Assert.All(d.Router.Replicas, r => Assert.Equal(Replicas.ReplicaState.Stopped, r.State))));
        await user.DisposeAsync();
    }

    [Fact]
    public void MapServe_with_proxy_location_Disabled_says_the_config_and_the_program_disagree()
    {
        var app = Build(ServeTestHost.MultiAppConfig() with { ProxyLocation = ProxyLocation.Disabled }, map: null, mapServe: false);
        var ex = Assert.Throws<InvalidOperationException>(() => app.MapServe());
        Assert.StartsWith("MapServe() maps Serve's proxies, but the config says proxy_location: Disabled (no proxies).", ex.Message);
    }

    [Fact]
    public async Task A_config_naming_a_missing_deployment_fails_the_start_before_anything_listens()
    {
        var config = ServeTestHost.MultiAppConfig() with
        {
            Applications =
            [
                new ApplicationConfig
                {
                    Name = "app1", RoutePrefix = "/app1", ImportPath = "GrpcQuickstart.Applications:App1",
                    Deployments = [new DeploymentConfig { Name = "NoSuchDeployment", NumReplicas = 1 }],
                },
            ],
        };
        await using var app = Build(config);

        var ex = await Assert.ThrowsAsync<ServeConfigException>(() => app.StartAsync());
        Assert.Contains("NoSuchDeployment", ex.Message);
        Assert.Empty(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses);
    }

    [Fact]
    public void AddServe_twice_and_MapServe_without_it_are_errors_that_say_what_to_do()
    {
        var services = new ServiceCollection();
        services.AddServe(ServeTestHost.MultiAppConfig());
        var twice = Assert.Throws<InvalidOperationException>(() => services.AddServe(ServeTestHost.MultiAppConfig()));
        Assert.Contains("more than once", twice.Message);

        var app = WebApplication.CreateSlimBuilder().Build();
        var missing = Assert.Throws<InvalidOperationException>(() => app.MapServe());
        Assert.Contains("AddServe", missing.Message);
    }
}
