using System.Net;

namespace Serve.IntegrationTests;

/// <summary>The HTTP proxy's Ray Serve endpoints on the real host.</summary>
[Collection(QuickstartCollection.Name)]
public sealed class HttpProxyTests(QuickstartHostFixture fixture)
{
    private HttpClient Client() => new() { BaseAddress = new Uri($"http://127.0.0.1:{fixture.Host.HttpPort}") };

    [Fact]
    public async Task Healthz_answers_success()
    {
        using var client = Client();
        var response = await client.GetAsync("/-/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("success", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Routes_maps_route_prefixes_to_applications()
    {
        using var client = Client();
        var response = await client.GetAsync("/-/routes");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"/app1\":\"app1\"}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_path_is_404_with_a_pointer_to_routes()
    {
        using var client = Client();
        var response = await client.GetAsync("/nowhere");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.StartsWith("Path '/nowhere' not found. Ping http://", await response.Content.ReadAsStringAsync());
    }
}
