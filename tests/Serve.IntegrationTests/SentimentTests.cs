using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serve.Config;
using Serve.Hosting;

namespace Serve.IntegrationTests;

/// <summary>
/// samples/Sentiment/config.yaml served in-process on a free port of 127.0.0.1: the HTTP tutorial's
/// two approaches (the <c>router</c> plain ingress and the <c>classifier</c> routed ingress).
/// </summary>
public sealed class SentimentHostFixture : IAsyncLifetime
{
    private ServeHost? _host;

    public ServeHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // The sample's generated module initializer registers its deployments and builders.
        RuntimeHelpers.RunModuleConstructor(typeof(global::Sentiment.Router).Module.ModuleHandle);
        var config = ServeConfigLoader.LoadFile(Path.Combine(Paths.RepoRoot, "samples", "Sentiment", "config.yaml"));
        Assert.Empty(config.GrpcOptions.GrpcServicerFunctions);
        config = config with { HttpOptions = config.HttpOptions with { Port = 0 } };
        _host = ServeHost.Create(config, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await _host.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_host.HttpPort}") };
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

/// <summary>The HTTP tutorial sample called with a real HTTP client, request by request as the tutorial does.</summary>
public sealed class SentimentTests(SentimentHostFixture fixture) : IClassFixture<SentimentHostFixture>
{
    private HttpClient Client => fixture.Client;

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private static void AssertSentiment(JsonElement result, string label)
    {
        Assert.Equal(label, result.GetProperty("label").GetString());
        Assert.InRange(result.GetProperty("score").GetDouble(), 0.5, 1.0);
        Assert.Equal(2, result.EnumerateObject().Count());
    }

    // --- Approach 1: GET /router?txt=... ---

    [Fact]
    public async Task Router_classifies_the_tutorials_ilikeyou_as_POSITIVE()
    {
        var response = await Client.GetAsync("/router?txt=ilikeyou");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await JsonAsync(response);
        AssertSentiment(result, "POSITIVE");
        Assert.Equal(0.7294, result.GetProperty("score").GetDouble());
    }

    [Theory]
    [InlineData("this%20is%20terrible", "NEGATIVE")]
    [InlineData("not+good", "NEGATIVE")]
    [InlineData("what%20a%20wonderful%20day", "POSITIVE")]
    [InlineData("the%20train%20leaves%20at%20noon", "NEUTRAL")]
    [InlineData("", "NEUTRAL")]
    public async Task Router_classifies_the_decoded_query(string txt, string label)
    {
        var response = await Client.GetAsync("/router?txt=" + txt);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSentiment(await JsonAsync(response), label);
    }

    [Fact]
    public async Task Router_answers_every_method_and_path_under_its_prefix()
    {
        // A plain ingress takes the whole prefix, like Ray's function deployment.
        var response = await Client.PostAsync("/router/anything?txt=i%20hate%20it", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSentiment(await JsonAsync(response), "NEGATIVE");
    }

    [Fact]
    public async Task Router_without_txt_is_400_with_a_detail()
    {
        var response = await Client.GetAsync("/router");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("Query parameter 'txt' is required.", body.GetProperty("detail").GetString());
    }

    // --- Approach 2: the FastAPI-style classifier at "/" ---

    [Fact]
    public async Task Test_route_answers_the_tutorials_string_as_text()
    {
        var response = await Client.GetAsync("/test");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal("Sentiment Classifier (0 -> Negative and 1 -> Positive)", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthcheck_answers_the_tutorials_string_as_text()
    {
        var response = await Client.GetAsync("/healthcheck");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("dummy check! Classifier is all ready to go!", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Classify_ilikeyou_is_200_with_label_and_score()
    {
        var response = await Client.PostAsync("/classify?input_text=ilikeyou", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSentiment(await JsonAsync(response), "POSITIVE");
    }

    [Fact]
    public async Task Classify_i_is_422_with_FastAPIs_string_too_short_body()
    {
        var response = await Client.PostAsync("/classify?input_text=i", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = Assert.Single((await JsonAsync(response)).GetProperty("detail").EnumerateArray());
        Assert.Equal(["query", "input_text"], error.GetProperty("loc").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("string_too_short", error.GetProperty("type").GetString());
        Assert.Equal("String should have at least 2 characters", error.GetProperty("msg").GetString());
        Assert.Equal("i", error.GetProperty("input").GetString());
    }

    [Fact]
    public async Task Classify_without_input_text_is_422_missing()
    {
        var response = await Client.PostAsync("/classify", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = Assert.Single((await JsonAsync(response)).GetProperty("detail").EnumerateArray());
        Assert.Equal(["query", "input_text"], error.GetProperty("loc").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("missing", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Classify_with_GET_is_405_allowing_POST()
    {
        var response = await Client.GetAsync("/classify?input_text=ilikeyou");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Unknown_route_of_the_classifier_is_404_not_found()
    {
        var response = await Client.GetAsync("/nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Not Found", (await JsonAsync(response)).GetProperty("detail").GetString());
    }

    // --- JSON body binding: POST /classify/batch ---

    [Fact]
    public async Task Batch_classifies_each_text_in_order()
    {
        using var content = new StringContent("""{"texts": ["i love it", "this is terrible", "the sky", "ilikeyou"]}""", Encoding.UTF8, "application/json");
        var response = await Client.PostAsync("/classify/batch", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await JsonAsync(response)).GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["POSITIVE", "NEGATIVE", "NEUTRAL", "POSITIVE"], results.Select(r => r.GetProperty("label").GetString()));
    }

    [Fact]
    public async Task Batch_with_malformed_JSON_is_400_naming_the_position()
    {
        using var content = new StringContent("""{"texts": ["i love it",""", Encoding.UTF8, "application/json");
        var response = await Client.PostAsync("/classify/batch", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var detail = (await JsonAsync(response)).GetProperty("detail").GetString();
        Assert.StartsWith("Invalid JSON body at line 1, position ", detail);
    }

    [Fact]
    public async Task Batch_with_a_text_body_is_415()
    {
        using var content = new StringContent("i love it", Encoding.UTF8, "text/plain");
        var response = await Client.PostAsync("/classify/batch", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", (await JsonAsync(response)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Batch_without_texts_is_422_missing()
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        var response = await Client.PostAsync("/classify/batch", content);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = Assert.Single((await JsonAsync(response)).GetProperty("detail").EnumerateArray());
        Assert.Equal(["body", "texts"], error.GetProperty("loc").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("missing", error.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Batch_without_a_body_is_422_missing()
    {
        var response = await Client.PostAsync("/classify/batch", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var error = Assert.Single((await JsonAsync(response)).GetProperty("detail").EnumerateArray());
        Assert.Equal("missing", error.GetProperty("type").GetString());
    }

    // --- Streaming: POST /classify/stream ---

    [Fact]
    public async Task Stream_sends_one_server_sent_event_per_sentence()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/classify/stream")
        {
            Content = new StringContent("I love this film. The ending was awful! It is two hours long", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        var body = await response.Content.ReadAsStringAsync();
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, events.Length);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        var items = events.Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToArray();
        Assert.Equal([0, 1, 2], items.Select(i => i.GetProperty("index").GetInt32()));
        Assert.Equal(["I love this film.", "The ending was awful!", "It is two hours long"], items.Select(i => i.GetProperty("text").GetString()));
        Assert.Equal(["POSITIVE", "NEGATIVE", "NEUTRAL"], items.Select(i => i.GetProperty("label").GetString()));
    }

    [Fact]
    public async Task Stream_without_event_stream_sends_JSON_lines()
    {
        using var content = new StringContent("Great!\nTerrible.", Encoding.UTF8, "text/plain");
        var response = await Client.PostAsync("/classify/stream", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["POSITIVE", "NEGATIVE"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("label").GetString()));
    }

    [Fact]
    public async Task Stream_with_an_empty_body_is_422_before_streaming()
    {
        var response = await Client.PostAsync("/classify/stream", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("missing", (await JsonAsync(response)).GetProperty("detail")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task Stream_with_a_JSON_body_is_415()
    {
        using var content = new StringContent("""{"text": "hi"}""", Encoding.UTF8, "application/json");
        var response = await Client.PostAsync("/classify/stream", content);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    // --- Serve's endpoints with the two applications ---

    [Fact]
    public async Task Routes_lists_both_applications()
    {
        var response = await Client.GetAsync("/-/routes");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"/router\":\"router\",\"/\":\"classifier\"}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task OpenApi_document_describes_classify_with_min_length_2()
    {
        var response = await Client.GetAsync("/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await JsonAsync(response);
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/test", out _));
        Assert.True(paths.TryGetProperty("/healthcheck", out _));
        var classify = paths.GetProperty("/classify").GetProperty("post");
        var parameter = Assert.Single(classify.GetProperty("parameters").EnumerateArray());
        Assert.Equal("input_text", parameter.GetProperty("name").GetString());
        Assert.Equal("query", parameter.GetProperty("in").GetString());
        Assert.True(parameter.GetProperty("required").GetBoolean());
        Assert.Equal(2, parameter.GetProperty("schema").GetProperty("minLength").GetInt32());
        Assert.True(classify.GetProperty("responses").TryGetProperty("422", out _));
        Assert.True(paths.GetProperty("/classify/batch").GetProperty("post").TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task Request_id_is_echoed_or_generated()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/router?txt=ilikeyou");
        request.Headers.Add("x-request-id", "tutorial-42");
        var response = await Client.SendAsync(request);
        Assert.Equal("tutorial-42", Assert.Single(response.Headers.GetValues("x-request-id")));

        var generated = await Client.PostAsync("/classify?input_text=i", null);
        Assert.True(Guid.TryParse(Assert.Single(generated.Headers.GetValues("x-request-id")), out _));
    }

    [Fact]
    public async Task Concurrent_requests_over_both_replicas_all_succeed()
    {
        var calls = Enumerable.Range(0, 50).Select(async i =>
        {
            var response = await Client.PostAsync($"/classify?input_text=request%20{i}%20is%20great", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await JsonAsync(response)).GetProperty("label").GetString();
        });
        Assert.All(await Task.WhenAll(calls), label => Assert.Equal("POSITIVE", label));
    }
}
