using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serve.Config;
using Serve.Control;
using Serve.Hosting;
using Serve.Proxy.Grpc;
using Serve.Proxy.Grpc.BuiltIn;
using Serve.Proxy.Http;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Serve in an application's services, as <c>AddGrpc</c> registers gRPC services.</summary>
public static class ServeServiceCollectionExtensions
{
    /// <summary>
    /// Adds Serve with the config at <paramref name="configPath"/> (Ray Serve's YAML): its controller and proxies,
    /// and a hosted service that deploys the config's applications as the host starts and drains them as it stops.
    /// Map the proxies with <c>app.MapServe()</c>.
    /// </summary>
    /// <exception cref="ServeConfigException">The file cannot be read or the config is invalid.</exception>
    public static IServiceCollection AddServe(this IServiceCollection services, string configPath)
    {
        ArgumentNullException.ThrowIfNull(configPath);
        return services.AddServe(ServeConfigLoader.LoadFile(configPath));
    }

    /// <summary>
    /// Adds Serve with <paramref name="config"/>: its controller and proxies, and a hosted service that deploys the
    /// config's applications as the host starts and drains them as it stops. Map the proxies with
    /// <c>app.MapServe()</c>. The config's ports are not used: the proxies answer on the application's own endpoints.
    /// </summary>
    public static IServiceCollection AddServe(this IServiceCollection services, ServeConfig config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);
        if (services.Any(d => d.ServiceType == typeof(ServeController)))
        {
            throw new InvalidOperationException("AddServe was called more than once: one host runs one Serve.");
        }
        config.Validate();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(config);

        var builtInOptions = new BuiltInServiceOptions(config.GrpcOptions.EnableReflection);
        var httpOptions = HttpProxyOptions.From(config);
        // Factories, not AddSingleton<T>(): the container would find and invoke the constructors through reflection
        // and build Logger<T> from its open-generic registration, both done at run time under Native AOT (its type
        // loader), a measurable part of a cold start. The container still owns them.
        services.AddSingleton(sp => new ServeController(LoggerFor<ServeController>(sp), sp) { HostOptions = sp.GetService<IOptions<HostOptions>>()?.Value });
        services.AddSingleton(sp =>
        {
            var controller = sp.GetRequiredService<ServeController>();
            // The server's own body limit (Kestrel's, when it is the server): the proxy lifts it per call only when one
            // message within max_receive_message_length could exceed it.
            var grpcOptions = GrpcProxyOptions.From(config, sp.GetService<IOptions<KestrelServerOptions>>()?.Value.Limits.MaxRequestBodySize);
            var health = new HealthService(controller, grpcOptions, builtInOptions, sp.GetRequiredService<IHostApplicationLifetime>(), LoggerFor<HealthService>(sp));
            var reflection = new ReflectionService(controller, grpcOptions, builtInOptions, LoggerFor<ReflectionService>(sp));
            var builtIn = new BuiltInServices(new ServeApiService(controller, grpcOptions), health, reflection);
            return new GrpcProxy(controller, grpcOptions, LoggerFor<GrpcProxy>(sp), builtIn, sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => new HttpProxy(sp.GetRequiredService<ServeController>(), httpOptions, LoggerFor<HttpProxy>(sp), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => new ServeLifecycle(sp.GetRequiredService<ServeController>(), config));
        // logging_config.logs_dir: Serve's file, next to whatever logging the host has.
        ServeLogging.AddFileProvider(services, config.LoggingConfig);
        return services;
    }

    internal static Logger<T> LoggerFor<T>(IServiceProvider services) => new(services.GetRequiredService<ILoggerFactory>());
}
