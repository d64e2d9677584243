using Serve.Dispatch;
using Serve.Routing;

namespace Serve.Runtime.Tests.Routing;

public sealed class HttpRouteTableTests
{
    private static HttpRouteDefinition Route(string? method, string? template, string name)
        => new(method, template, name, (_, _) => ValueTask.CompletedTask);

    private static readonly HttpRouteTable s_table = new(
    [
        Route("GET", "/", "Root"),
        Route("GET", "/items/{id}", "GetItem"),
        Route("GET", "/items/new", "NewItemForm"),
        Route("DELETE", "/items/{id}", "DeleteItem"),
        Route("POST", "/classify", "Classify"),
        Route("GET", "/users/{user}/items/{item}", "UserItem"),
    ]);

    [Theory]
    [InlineData("GET", "/", "Root")]
    [InlineData("GET", "/items/42", "GetItem")]
    [InlineData("GET", "/items/new", "NewItemForm")]
    [InlineData("DELETE", "/items/42", "DeleteItem")]
    [InlineData("POST", "/classify", "Classify")]
    [InlineData("HEAD", "/items/42", "GetItem")]
    [InlineData("GET", "/users/ann/items/7", "UserItem")]
    [InlineData("GET", "/items/42/", "GetItem")]
    public void Matches_method_and_template_with_literals_first(string method, string path, string expected)
        => Assert.Equal(expected, s_table.Match(method, path, out _, out _)?.MethodName);

    [Fact]
    public void Captures_and_decodes_route_values()
    {
        var route = s_table.Match("GET", "/users/a%20b/items/x%2Fy", out var values, out _);
        Assert.Equal("UserItem", route?.MethodName);
        Assert.Equal("a b", values.Get("user"));
        Assert.Equal("x/y", values.Get("item"));
        Assert.Null(values.Get("missing"));
    }

    [Fact]
    public void A_path_known_under_other_methods_reports_them()
    {
        Assert.Null(s_table.Match("PUT", "/items/42", out _, out var allowed));
        Assert.Equal("DELETE, GET", allowed);
        Assert.Null(s_table.Match("GET", "/classify", out _, out allowed));
        Assert.Equal("POST", allowed);
    }

    [Fact]
    public void An_unknown_path_matches_nothing()
    {
        Assert.Null(s_table.Match("GET", "/nope", out _, out var allowed));
        Assert.Null(allowed);
        Assert.Null(s_table.Match("GET", "/items/1/2", out _, out _));
        Assert.Null(s_table.Match("GET", "/Items/1", out _, out _));
    }

    [Fact]
    public void A_plain_ingress_takes_every_method_and_path()
    {
        var table = new HttpRouteTable([Route(null, null, "Call")]);
        Assert.Equal("Call", table.Match("PATCH", "/any/thing", out _, out _)?.MethodName);
        Assert.False(table.IsEmpty);
        Assert.True(new HttpRouteTable([]).IsEmpty);
    }
}
