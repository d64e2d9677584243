using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serve.Config;
using Serve.Control;
using Serve.Dashboard;
using Serve.Proxy.Grpc;
using Serve.Proxy.Http;
using Serve.Wire;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Serve's proxies and REST API into an application's endpoints, as <c>MapGrpcService</c> maps gRPC services.</summary>
public static class ServeEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the applications of <c>AddServe</c>'s config on this application's endpoints, after its own routes:
    /// gRPC calls (<c>content-type: application/grpc</c>, which needs an HTTP/2 endpoint, as for any gRPC service)
    /// go to the gRPC proxy, every other request to the HTTP proxy (route prefixes, 404 for the rest).
    /// </summary>
    /// <returns>The catch-all endpoint, for conventions such as <c>RequireHost</c>.</returns>
    /// <exception cref="InvalidOperationException"><c>AddServe</c> was not called, or its config says
    /// <c>proxy_location: Disabled</c>.</exception>
    public static IEndpointConventionBuilder MapServe(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        RequireAddServe(services);
        if (services.GetRequiredService<ServeConfig>().ProxyLocation == ProxyLocation.Disabled)
        {
            // The config and the program disagree; serving anyway would contradict one of them silently.
            throw new InvalidOperationException(
                "MapServe() maps Serve's proxies, but the config says proxy_location: Disabled (no proxies). "
                + "Remove the MapServe() call to run without proxies (handles and MapServeApi() still work), or set proxy_location to EveryNode.");
        }
        var grpcProxy = services.GetRequiredService<GrpcProxy>();
        var httpProxy = services.GetRequiredService<HttpProxy>();
        // The catch-all has the lowest route precedence, and the last order besides: the application's own endpoints
        // always win, and Serve answers what they leave.
        return endpoints.Map("/{**path}", context => GrpcProtocol.IsGrpcContentType(context.Request.ContentType)
                ? grpcProxy.HandleAsync(context)
                : httpProxy.HandleAsync(context))
            .WithOrder(int.MaxValue)
            .WithDisplayName("Serve proxies");
    }

    /// <summary>
    /// Serves Ray Serve's REST API (<c>/api/serve/applications/</c>: GET the status, PUT a config, DELETE every
    /// application) on this application's endpoints. It changes what runs, so restrict it, e.g. with
    /// <c>.RequireHost("localhost:8265")</c> or <c>.RequireAuthorization()</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddServe</c> was not called.</exception>
    public static IEndpointConventionBuilder MapServeApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var services = endpoints.ServiceProvider;
        RequireAddServe(services);
        var config = services.GetRequiredService<ServeConfig>();
        var api = new DashboardApi(
            services.GetRequiredService<ServeController>(),
            () => (config.HttpOptions.Port, config.GrpcOptions.Port),
            ServeServiceCollectionExtensions.LoggerFor<DashboardApi>(services),
            services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        return endpoints.Map(DashboardApi.ApplicationsPath.TrimEnd('/'), api.HandleAsync)
            .WithDisplayName("Serve REST API");
    }

    private static void RequireAddServe(IServiceProvider services)
    {
        if (services.GetService<ServeController>() is null)
        {
            throw new InvalidOperationException("Serve is not registered: call builder.Services.AddServe(...) before MapServe().");
        }
    }
}
