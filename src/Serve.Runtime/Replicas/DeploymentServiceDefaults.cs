using Microsoft.Extensions.DependencyInjection;

namespace Serve.Replicas;

/// <summary>
/// The services deployment constructors resolve from when Serve runs without a host's container (local testing
/// mode, a controller created by hand): logging without providers, options, <see cref="TimeProvider.System"/> and
/// <c>IHttpClientFactory</c>, so that a deployment written for a host also constructs in a test.
/// </summary>
internal static class DeploymentServiceDefaults
{
    private static readonly Lazy<ServiceProvider> s_provider = new(static () => new ServiceCollection()
        .AddLogging()
        .AddOptions()
        .AddSingleton(TimeProvider.System)
        .AddHttpClient()
        .BuildServiceProvider());

    /// <summary>Built on first use and kept for the process.</summary>
    public static IServiceProvider Provider => s_provider.Value;
}
