using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Pipeline.Protos;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests;

/// <summary>samples/Pipeline/config.yaml served in-process on free ports: the seed's diamond behind one ingress.</summary>
public sealed class PipelineHostFixture : IAsyncLifetime
{
    private ServeHost? _host;

    public ServeHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public HttpClient Client { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        RuntimeHelpers.RunModuleConstructor(typeof(global::Pipeline.Graphs).Module.ModuleHandle);
        var config = ServeConfigLoader.LoadFile(Path.Combine(Paths.RepoRoot, "samples", "Pipeline", "config.yaml"));
        config = config with
        {
            HttpOptions = config.HttpOptions with { Port = 0 },
            GrpcOptions = config.GrpcOptions with { Port = 0 },
        };
        _host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await _host.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_host.HttpPort}") };
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{_host.GrpcPort}");
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        Channel?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>The pipeline sample over real HTTP and gRPC: the diamond returns 8, branches chosen per request, nodes scaled by config.</summary>
public sealed class PipelineTests(PipelineHostFixture fixture) : IClassFixture<PipelineHostFixture>
{
    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("detail").GetString()!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    [Fact]
    public async Task Http_post_of_1_2_3_returns_8()
    {
        var response = await fixture.Client.PostAsync("/pipeline", Json("[1, 2, 3]"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("8", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("[2, 3, 4]", 2 * 1 + 3 * 2 + 4)]
    [InlineData("[-5, 10, 0]", -5 + 20)]
    public async Task Http_pipeline_computes_m1_plus_m2_plus_the_third_value(string body, int expected)
    {
        var response = await fixture.Client.PostAsync("/pipeline", Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("m1", 5, 5)]
    [InlineData("m2", 5, 10)]
    public async Task Http_choose_runs_the_branch_the_request_names(string model, int value, int expected)
    {
        var response = await fixture.Client.PostAsync("/pipeline/choose", Json($$"""{"model": "{{model}}", "value": {{value}}}"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http_bad_input_is_422_with_a_message_and_the_pipeline_keeps_serving()
    {
        var tooShort = await fixture.Client.PostAsync("/pipeline", Json("[1, 2]"));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooShort.StatusCode);
        Assert.Contains("exactly three integers, got 2", await DetailAsync(tooShort), StringComparison.Ordinal);

        var unknown = await fixture.Client.PostAsync("/pipeline/choose", Json("""{"model": "m3", "value": 1}"""));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.Contains("Unknown model 'm3'", await DetailAsync(unknown), StringComparison.Ordinal);

        var overflow = await fixture.Client.PostAsync("/pipeline", Json($"[{int.MaxValue}, 1, 1]"));
        Assert.Equal(HttpStatusCode.InternalServerError, overflow.StatusCode);

        var ok = await fixture.Client.PostAsync("/pipeline", Json("[1, 2, 3]"));
        Assert.Equal("8", await ok.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Grpc_run_of_1_2_3_returns_8_and_choose_picks_the_branch()
    {
        var client = new global::Pipeline.Protos.Pipeline.PipelineClient(fixture.Channel);
        var reply = await client.RunAsync(new RunRequest { Values = { 1, 2, 3 } });
        Assert.Equal(8, reply.Value);

        var chosen = await client.ChooseAsync(new ChooseRequest { Model = "m2", Value = 7 });
        Assert.Equal(14, chosen.Value);
    }

    [Fact]
    public async Task Grpc_bad_input_is_invalid_argument()
    {
        var client = new global::Pipeline.Protos.Pipeline.PipelineClient(fixture.Channel);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.RunAsync(new RunRequest { Values = { 1 } }));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("exactly three integers, got 1", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_node_is_a_deployment_scaled_by_its_config_entry()
    {
        var app = Assert.Single(fixture.Host.Controller.Applications);
        var replicas = app.Deployments.ToDictionary(d => d.Name, d => d.Router.Replicas.Count);
        Assert.Equal(new Dictionary<string, int> { ["m1"] = 2, ["m2"] = 3, ["Ensemble"] = 1, ["PipelineIngress"] = 1 }, replicas);
        Assert.Equal("PipelineIngress", app.Ingress.Name);
    }
}
