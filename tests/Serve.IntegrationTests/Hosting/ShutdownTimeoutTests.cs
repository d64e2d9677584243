using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serve.Config;
using Serve.Control;

namespace Serve.IntegrationTests.Hosting;

/// <summary>
/// Each deployment's graceful_shutdown_timeout_s applies at process shutdown, also for applications deployed after
/// the host started: every apply raises the host's shutdown timeout to twice the longest one running.
/// </summary>
public sealed class ShutdownTimeoutTests
{
    [Fact]
    public async Task An_application_deployed_after_the_start_raises_the_hosts_shutdown_timeout()
    {
        RuntimeHelpers.RunModuleConstructor(typeof(GrpcQuickstart.GrpcDeployment).Module.ModuleHandle);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(40));
        builder.Services.AddServe(new ServeConfig());
        await using var app = builder.Build();
        app.MapServe();
        await app.StartAsync();
        var host = app.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(40), host.ShutdownTimeout);

        await app.Services.GetRequiredService<ServeController>().ApplyAsync(new ServeConfig
        {
            Applications =
            [
                new ApplicationConfig
                {
                    Name = "app1",
                    RoutePrefix = "/app1",
                    ImportPath = "GrpcQuickstart.Applications:App1",
                    Deployments = [new DeploymentConfig { Name = "GrpcDeployment", GracefulShutdownTimeoutS = 100 }],
                },
            ],
        });

        Assert.Equal(TimeSpan.FromSeconds(200), host.ShutdownTimeout);
        await app.StopAsync();
    }
}
