using Serve.Control;
using Serve.Routing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Serve.Proxy.Grpc.BuiltIn;

/// <summary>The answers of <c>grpc.health.v1.Health</c>, from a route table and the draining flag.</summary>
internal static class HealthStatus
{
    /// <summary>
    /// The status of <paramref name="service"/>, or null when the service is unknown (Check: NOT_FOUND;
    /// Watch: SERVICE_UNKNOWN).
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>"" (the server): SERVING once the route table is populated, NOT_SERVING before and while draining.</item>
    /// <item>A service of an application in the route table: SERVING when some application exposing it is
    /// running, NOT_SERVING otherwise and while draining.</item>
    /// <item>A service the proxy serves itself (health, reflection when enabled, the Serve API): as the server.</item>
    /// </list>
    /// </remarks>
    public static ServingStatus? Evaluate(RouteTable routes, bool draining, bool reflectionEnabled, string service)
    {
        var server = routes.Populated && !draining ? ServingStatus.Serving : ServingStatus.NotServing;
        if (service.Length == 0 || IsBuiltIn(service, reflectionEnabled))
        {
            return server;
        }
        if (!BuiltInServices.ApplicationServices(routes).TryGetValue(service, out var running))
        {
            return null;
        }
        return running && server == ServingStatus.Serving ? ServingStatus.Serving : ServingStatus.NotServing;
    }

    private static bool IsBuiltIn(string service, bool reflectionEnabled) => service switch
    {
        BuiltInServices.Health or BuiltInServices.ServeApi => true,
        BuiltInServices.ReflectionV1Alpha or BuiltInServices.ReflectionV1 => reflectionEnabled,
        _ => false,
    };
}
