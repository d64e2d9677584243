using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using Microsoft.AspNetCore.Http;
using Serve.Control;
using Serve.Protos;
using Serve.Routing;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>Settings of the standard services the gRPC proxy serves itself.</summary>
/// <param name="EnableReflection"><c>grpc_options.enable_reflection</c>: when false, server reflection is UNIMPLEMENTED.</param>
internal sealed record BuiltInServiceOptions(bool EnableReflection = true);

/// <summary>
/// The gRPC services the proxy serves itself, without an <c>application</c> key and whatever applications run:
/// Ray's <c>ray.serve.RayServeAPIService</c>, <c>grpc.health.v1.Health</c> and server reflection (<c>v1alpha</c> and
/// <c>v1</c>).
/// </summary>
internal sealed class BuiltInServices
{
    public const string Health = "grpc.health.v1.Health";
    public const string ReflectionV1Alpha = "grpc.reflection.v1alpha.ServerReflection";
    public const string ReflectionV1 = "grpc.reflection.v1.ServerReflection";

    private const string HealthPrefix = "/" + Health + "/";
    private const string ReflectionV1AlphaPrefix = "/" + ReflectionV1Alpha + "/";
    private const string ReflectionV1Prefix = "/" + ReflectionV1 + "/";
    private const string ServeApiPrefix = "/" + ServeApi + "/";

    /// <summary>Ray's API service.</summary>
    public const string ServeApi = ServeApiService.Name;

    private readonly ServeApiService _serveApi;
    private readonly HealthService _health;
    private readonly ReflectionService _reflection;

    public BuiltInServices(ServeApiService serveApi, HealthService health, ReflectionService reflection)
    {
        _serveApi = serveApi;
        _health = health;
        _reflection = reflection;
    }

    /// <summary>True when <paramref name="path"/> (<c>/package.Service/Method</c>) belongs to a built-in service.</summary>
    public static bool Handles(string path)
        => path.StartsWith("/grpc.", StringComparison.Ordinal)
            ? path.StartsWith(HealthPrefix, StringComparison.Ordinal)
                || path.StartsWith(ReflectionV1AlphaPrefix, StringComparison.Ordinal)
                || path.StartsWith(ReflectionV1Prefix, StringComparison.Ordinal)
            : path.StartsWith(ServeApiPrefix, StringComparison.Ordinal);

    /// <summary>Serves a call whose <paramref name="path"/> <see cref="Handles"/> accepted.</summary>
    public Task HandleAsync(HttpContext context, string path, string requestId, CancellationToken cancellationToken)
        => path.StartsWith(ServeApiPrefix, StringComparison.Ordinal) ? _serveApi.HandleAsync(context, path, requestId, cancellationToken)
            : path.StartsWith(HealthPrefix, StringComparison.Ordinal) ? _health.HandleAsync(context, path, requestId, cancellationToken)
            : _reflection.HandleAsync(context, path, requestId, cancellationToken);

    /// <summary>
    /// The descriptors of Serve's own <c>.proto</c> files, which reflection serves next to the registered ones.
    /// </summary>
    public static IReadOnlyList<FileDescriptor> OwnDescriptors { get; } =
    [
        ServeReflection.Descriptor,
        HealthReflection.Descriptor,
        global::Grpc.Reflection.V1Alpha.ReflectionReflection.Descriptor,
        global::Grpc.Reflection.V1.ReflectionReflection.Descriptor,
    ];

    /// <summary>
    /// Every service the proxy exposes, in ordinal order: the services of the route table's applications,
    /// the Serve API, health and (when enabled) reflection.
    /// </summary>
    public static IReadOnlyList<string> ExposedServices(RouteTable routes, bool reflectionEnabled)
    {
        var names = new SortedSet<string>(ApplicationServices(routes).Keys, StringComparer.Ordinal) { ServeApi, Health };
        if (reflectionEnabled)
        {
            names.Add(ReflectionV1Alpha);
            names.Add(ReflectionV1);
        }
        return [.. names];
    }

    /// <summary>
    /// The gRPC services of the route table's applications, each with whether some application exposing it
    /// is running.
    /// </summary>
    public static Dictionary<string, bool> ApplicationServices(RouteTable routes)
    {
        var services = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var app in routes.Applications.Values)
        {
            var running = app.Status == ApplicationStatus.Running;
            foreach (var method in app.GrpcMethods.Values)
            {
                services[method.ServiceName] = running || services.GetValueOrDefault(method.ServiceName);
            }
        }
        return services;
    }
}
