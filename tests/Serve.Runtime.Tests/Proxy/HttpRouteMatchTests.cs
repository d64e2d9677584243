using System.Collections.Frozen;
using Serve.Control;
using Serve.Dispatch;
using Serve.Proxy.Http;
using Serve.Routing;

namespace Serve.Runtime.Tests.Proxy;

public sealed class HttpRouteMatchTests
{
    private static RouteTable Table(params (string Name, string? Prefix)[] apps)
    {
        var definition = new DeploymentDefinition("d", "T", new DeploymentOptions(), 0, (_, _) => new object(), [], []);
        return new RouteTable(apps.Select(a => new ApplicationState(a.Name, a.Prefix,
            new DeploymentState(a.Name, definition, "d", 1, 5, -1),
            FrozenDictionary<string, GrpcMethodDefinition>.Empty)).ToList());
    }

    [Theory]
    [InlineData("/route", "r")]
    [InlineData("/route/x", "r")]
    [InlineData("/routesuffix", "root")]
    [InlineData("/route/deeper/x", "deep")]
    [InlineData("/route/deeper", "deep")]
    [InlineData("/other", "root")]
    [InlineData("/", "root")]
    [InlineData("/route/", "r")]
    [InlineData("/route//x", "r")]
    [InlineData("//route", "root")]
    [InlineData("/route/deeperx/y", "r")]
    public void Longest_prefix_wins_with_a_path_boundary(string path, string expected)
    {
        var table = Table(("root", "/"), ("r", "/route"), ("deep", "/route/deeper"), ("hidden", null));
        Assert.Equal(expected, HttpProxy.MatchRoute(table, path)?.Name);
    }

    [Fact]
    public void No_match_without_a_root_prefix()
    {
        var table = Table(("r", "/route"));
        Assert.Null(HttpProxy.MatchRoute(table, "/routesuffix"));
        Assert.Null(HttpProxy.MatchRoute(table, "/"));
    }
}
