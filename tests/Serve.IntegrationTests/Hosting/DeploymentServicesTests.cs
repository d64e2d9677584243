using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Control;
using Serve.Hosting;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// Deployment constructors take services from the host's container: inferred host services (<c>ILogger&lt;T&gt;</c>,
/// <c>IOptions&lt;T&gt;</c>, <c>IHttpClientFactory</c>, <c>TimeProvider</c>), <c>[FromServices]</c>, keyed and optional ones,
/// a scope per replica; a service nobody registered fails the deployment, naming the parameter and its type.
/// </summary>
[Collection(ServicesDeploymentCollection.Name)]
public sealed class DeploymentServicesTests
{
    private static ServeConfig Config(params ApplicationConfig[] applications) => new()
    {
        HttpOptions = new HttpOptions { Port = 0 },
        GrpcOptions = new GrpcOptions { Port = 0 },
        Applications = applications,
    };

    private static readonly ApplicationConfig s_greeter = new()
    {
        Name = "greeter",
        RoutePrefix = "/greeter",
        ImportPath = "Serve.IntegrationTests.Hosting.ServicesApplications:Greeter",
        Args = new Dictionary<string, string> { ["suffix"] = "bound" },
    };

    private static void AddUserServices(IServiceCollection services)
    {
        services.AddSingleton<IGreetingStore>(new GreetingStore("hello"));
        services.AddScoped<ReplicaScope>();
        services.Configure<GreeterOptions>(o => o.Punctuation = "!");
        services.AddKeyedSingleton<Func<string, string>>("shout", (_, _) => text => text.ToUpperInvariant());
    }

    /// <summary>Collects what deployments log through the host's logging.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => lines.Enqueue(category + ": " + formatter(state, exception));
        }
    }

    private static async Task<(WebApplication App, HttpClient Http)> StartUserAppAsync(ServeConfig config, CapturingLoggerProvider log)
    {
        RuntimeHelpers.RunModuleConstructor(typeof(DeploymentServicesTests).Module.ModuleHandle);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1));
        builder.Services.AddHttpClient();
        AddUserServices(builder.Services);
        builder.Services.AddServe(config);
        var app = builder.Build();
        app.MapServe();
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()).Port;
        return (app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) });
    }

    [Fact]
    public async Task A_deployment_in_a_users_app_takes_host_user_keyed_and_optional_services_with_a_scope_per_replica()
    {
        var log = new CapturingLoggerProvider();
        var disposedBefore = ReplicaScope.Disposed;
        var (app, http) = await StartUserAppAsync(Config(s_greeter), log);
        var scopes = new HashSet<string>();
        await using (app)
        using (http)
        {
            for (var i = 0; i < 60 && scopes.Count < 2; i++)
            {
                var parts = (await http.GetStringAsync("/greeter/greet/ada")).Split('|');
                // Every kind of parameter received what the host registered: the user's store and options, the keyed
                // transform, the bound suffix, the host's TimeProvider and IHttpClientFactory, no optional service.
                Assert.Equal(["HELLO ADA!", "bound", "SystemTimeProvider", "100", "no-optional"], parts[..5]);
                scopes.Add(parts[5]);
            }
            // Two replicas, each with its own scope.
            Assert.Equal(2, scopes.Count);
            Assert.Contains(log.Lines, line => line == "Serve.IntegrationTests.Hosting.ServicesDeployment: greeting ada");
            await app.StopAsync();
        }
        // Stopping the host stopped both replicas and disposed their scopes (and the scoped service in each).
        Assert.Equal(disposedBefore + 2, ReplicaScope.Disposed);
    }

    [Fact]
    public async Task A_service_nobody_registered_fails_the_deployment_naming_the_deployment_parameter_and_type()
    {
        var log = new CapturingLoggerProvider();
        var (app, http) = await StartUserAppAsync(Config(s_greeter), log);
        await using (app)
        using (http)
        {
            var controller = app.Services.GetRequiredService<ServeController>();
            await controller.ApplyAsync(Config(s_greeter, new ApplicationConfig
            {
                Name = "broken",
                RoutePrefix = "/broken",
                ImportPath = "Serve.IntegrationTests.Hosting.NeedsUnregistered",
            }));

            var broken = Assert.Single(controller.GetStatus().Applications, a => a.Name == "broken");
            Assert.Equal(ApplicationStatus.DeployFailed, broken.Status);
            Assert.Equal(
                "Replica 0 of deployment 'NeedsUnregistered' failed to start: 'Serve.IntegrationTests.Hosting.NeedsUnregistered' cannot be constructed: "
                + "no service of type 'IUnregistered' is registered for its constructor parameter 'unregistered'. "
                + "Register it in the host's services (builder.Services with AddServe, configureServices with ServeCommandLine.RunAsync, the provider given to LocalTestingMode.RunAsync), "
            + "or give the parameter a default value to make it optional.",
                broken.Message);
            // The other application keeps serving.
            Assert.StartsWith("HELLO ADA!|bound|", await http.GetStringAsync("/greeter/greet/ada"));
        }
    }

    [Fact]
    public async Task The_command_line_host_gives_deployments_the_programs_services()
    {
        RuntimeHelpers.RunModuleConstructor(typeof(DeploymentServicesTests).Module.ModuleHandle);
        await using var host = ServeHost.Create(Config(s_greeter), logging => logging.SetMinimumLevel(LogLevel.Warning),
            new ServeHostOptions { ConfigureServices = AddUserServices });
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.HttpPort}") };

        // IHttpClientFactory comes from the host itself; the rest from ConfigureServices.
        Assert.StartsWith("HELLO ADA!|bound|SystemTimeProvider|100|no-optional|", await http.GetStringAsync("/greeter/greet/ada"));
    }
}
