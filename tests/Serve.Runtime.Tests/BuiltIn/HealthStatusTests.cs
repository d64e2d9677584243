using Serve.Control;
using Serve.Proxy.Grpc.BuiltIn;
using Serve.Routing;
using static Serve.Runtime.Tests.BuiltIn.BuiltInTestData;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Serve.Runtime.Tests.BuiltIn;

public sealed class HealthStatusTests
{
    private static readonly RouteTable s_routes = Routes(
        App("a", ApplicationStatus.Running, "pkg.A", "pkg.Shared"),
        App("b", ApplicationStatus.DeployFailed, "pkg.B", "pkg.Shared"));

    [Fact]
    public void The_server_serves_once_routes_exist_and_until_draining()
    {
        Assert.Equal(ServingStatus.NotServing, HealthStatus.Evaluate(RouteTable.NotPopulated, draining: false, true, ""));
        Assert.Equal(ServingStatus.Serving, HealthStatus.Evaluate(s_routes, draining: false, true, ""));
        Assert.Equal(ServingStatus.Serving, HealthStatus.Evaluate(Routes(), draining: false, true, ""));
        Assert.Equal(ServingStatus.NotServing, HealthStatus.Evaluate(s_routes, draining: true, true, ""));
    }

    [Theory]
    [InlineData("pkg.A", ServingStatus.Serving)]
    [InlineData("pkg.Shared", ServingStatus.Serving)]
    [InlineData("pkg.B", ServingStatus.NotServing)]
    public void A_service_serves_when_a_running_application_exposes_it(string service, ServingStatus expected)
    {
        Assert.Equal(expected, HealthStatus.Evaluate(s_routes, draining: false, true, service));
        Assert.Equal(ServingStatus.NotServing, HealthStatus.Evaluate(s_routes, draining: true, true, service));
    }

    [Theory]
    [InlineData("pkg.Nope")]
    [InlineData("pkg.a")]
    [InlineData("pkg")]
    public void Unknown_services_have_no_status(string service)
        => Assert.Null(HealthStatus.Evaluate(s_routes, draining: false, true, service));

    [Theory]
    [InlineData("grpc.health.v1.Health")]
    [InlineData("ray.serve.RayServeAPIService")]
    [InlineData("grpc.reflection.v1alpha.ServerReflection")]
    [InlineData("grpc.reflection.v1.ServerReflection")]
    public void Built_in_services_follow_the_server(string service)
    {
        Assert.Equal(ServingStatus.Serving, HealthStatus.Evaluate(s_routes, draining: false, true, service));
        Assert.Equal(ServingStatus.NotServing, HealthStatus.Evaluate(s_routes, draining: true, true, service));
        Assert.Equal(ServingStatus.NotServing, HealthStatus.Evaluate(RouteTable.NotPopulated, draining: false, true, service));
    }

    [Fact]
    public void Reflection_is_unknown_when_disabled()
    {
        Assert.Null(HealthStatus.Evaluate(s_routes, draining: false, reflectionEnabled: false, "grpc.reflection.v1.ServerReflection"));
        Assert.Equal(ServingStatus.Serving, HealthStatus.Evaluate(s_routes, draining: false, reflectionEnabled: false, "grpc.health.v1.Health"));
    }

    [Fact]
    public void Exposed_services_are_sorted_and_include_the_proxys_own()
    {
        Assert.Equal(
            ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "pkg.A", "pkg.B", "pkg.Shared", "ray.serve.RayServeAPIService"],
            BuiltInServices.ExposedServices(s_routes, reflectionEnabled: true));
        Assert.Equal(
            ["grpc.health.v1.Health", "ray.serve.RayServeAPIService"],
            BuiltInServices.ExposedServices(RouteTable.NotPopulated, reflectionEnabled: false));
    }

    [Theory]
    [InlineData("/grpc.health.v1.Health/Check", true)]
    [InlineData("/grpc.health.v1.Health/Nope", true)]
    [InlineData("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", true)]
    [InlineData("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true)]
    [InlineData("/grpc.health.v1.HealthX/Check", false)]
    [InlineData("/grpc.Health.v1.Health/Check", false)]
    [InlineData("/grpc.reflection.v2.ServerReflection/ServerReflectionInfo", false)]
    [InlineData("/userdefinedprotos.UserDefinedService/__call__", false)]
    [InlineData("/ray.serve.RayServeAPIService/Healthz", true)]
    [InlineData("/ray.serve.RayServeAPIService/Nope", true)]
    [InlineData("/ray.serve.RayServeAPIServiceX/Healthz", false)]
    public void Only_the_built_in_services_paths_are_handled(string path, bool handled)
        => Assert.Equal(handled, BuiltInServices.Handles(path));
}
