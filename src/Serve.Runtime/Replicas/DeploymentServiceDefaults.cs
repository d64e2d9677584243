using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Serve.Replicas;

/// <summary>
/// The services deployment constructors resolve from when Serve runs without a host's container (local testing
/// mode, a controller created by hand): every type the generator takes from services by type, so that a deployment
/// written for a host also constructs in a test. Logging has no providers, configuration is empty, the environment is
/// Production with the application's base directory as content root, and the lifetime never stops.
/// </summary>
internal static class DeploymentServiceDefaults
{
    private static readonly Lazy<ServiceProvider> s_provider = new(static () =>
    {
        var services = new ServiceCollection()
            .AddLogging()
            .AddOptions()
            .AddMetrics()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddSingleton<IHostEnvironment>(new HostingEnvironment
            {
                EnvironmentName = Environments.Production,
                ApplicationName = AppDomain.CurrentDomain.FriendlyName,
                ContentRootPath = AppContext.BaseDirectory,
            })
            .AddSingleton<IHostApplicationLifetime>(new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance));
        services.AddHttpClient();
        return services.BuildServiceProvider();
    });

    /// <summary>Built on first use and kept for the process.</summary>
    public static IServiceProvider Provider => s_provider.Value;
}
