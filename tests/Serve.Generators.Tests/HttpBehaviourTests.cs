using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Serve.Dispatch;
using Serve.Http;

namespace Serve.Generators.Tests;

/// <summary>Compiles the HTTP deployments (with System.Text.Json's generator), loads them and calls the generated route invokers.</summary>
public class HttpBehaviourTests
{
    private static readonly Lazy<Assembly> s_http = new(() => GeneratorHarness.BuildAndLoad(TestSources.Http, withJson: true));

    private static DeploymentDefinition Classifier => Definition("HttpTests.Classifier");

    [Fact]
    public void Route_table_lists_every_routed_method()
    {
        Assert.Equal(
            new[]
            {
                "GET /test Root", "GET /healthcheck Healthcheck", "POST /classify PredictSentiment", "GET /items/{id} GetItem", "PUT /items/{id} PutItem",
                "POST /items/bulk Bulk", "GET /search Search", "DELETE /items/{id} Delete", "PATCH /items/{id}/tags/{tag} Tag", "GET /bytes Bytes",
                "GET /raw Raw", "GET /stream Stream", "GET /words Words",
            },
            Classifier.HttpRoutes.Select(r => $"{r.HttpMethod} {r.Template} {r.MethodName}"));
        Assert.Empty(Classifier.GrpcMethods);
    }

    [Fact]
    public async Task Tutorial_routes_answer_text_and_json()
    {
        var root = await Invoke(Classifier, "Root", new TestHttpCall("GET", "/test"));
        Assert.Equal((200, "text/plain; charset=utf-8", "Sentiment Classifier (0 -> Negative and 1 -> Positive)"), (root.StatusCode, root.ContentType, root.Body));
        var health = await Invoke(Classifier, "Healthcheck", new TestHttpCall("GET", "/healthcheck"));
        Assert.Equal("dummy check! Classifier is all ready to go!", health.Body);

        var classify = await Invoke(Classifier, "PredictSentiment", new TestHttpCall("POST", "/classify", query: [("input_text", "ilikeyou")]));
        Assert.Equal((200, "application/json", """{"label":"POSITIVE","score":0.75}"""), (classify.StatusCode, classify.ContentType, classify.Body));
    }

    [Fact]
    public async Task Tutorial_min_length_answers_422_naming_the_field()
    {
        var ex = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "PredictSentiment", new TestHttpCall("POST", "/classify", query: [("input_text", "i")])));
        Assert.Equal(422, ex.StatusCode);
        var error = Assert.Single(ex.Errors);
        Assert.Equal(new[] { "query", "input_text" }, error.Location);
        Assert.Equal("string_too_short", error.Type);
        Assert.Equal("String should have at least 2 characters", error.Message);
        Assert.Equal("i", error.Input);

        var missing = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "PredictSentiment", new TestHttpCall("POST", "/classify")));
        Assert.Equal(("missing", "Field required", null), (Assert.Single(missing.Errors).Type, missing.Errors[0].Message, missing.Errors[0].Input));
    }

    [Fact]
    public async Task Route_query_and_header_values_bind_with_defaults()
    {
        var call = await Invoke(Classifier, "GetItem", new TestHttpCall("GET", "/items/42", route: [("id", "42")], headers: [("X-Tenant", "acme")]));
        using (var json = JsonDocument.Parse(call.Body))
        {
            Assert.Equal(42, json.RootElement.GetProperty("id").GetInt32());
            Assert.Equal("acme:Green:False:", json.RootElement.GetProperty("name").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("color_name").GetInt32());
        }

        call = await Invoke(Classifier, "GetItem", new TestHttpCall("GET", "/items/7", route: [("id", "7")], query: [("color", "BLUE"), ("verbose", "yes"), ("mark", "x")]));
        using (var json = JsonDocument.Parse(call.Body))
        {
            Assert.Equal(":Blue:True:x", json.RootElement.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Every_binding_error_is_collected_into_one_422()
    {
        var ex = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "GetItem", new TestHttpCall("GET", "/items/x",
            route: [("id", "x")], query: [("color", "3"), ("verbose", "maybe"), ("mark", "xy")])));
        Assert.Equal(
            new[]
            {
                "path/id int_parsing Input should be a valid integer, unable to parse string as an integer (x)",
                "query/color enum Input should be 'Red', 'Green' or 'Blue' (3)",
                "query/verbose bool_parsing Input should be a valid boolean, unable to interpret input (maybe)",
                "query/mark char_parsing Input should be a single character (xy)",
            },
            ex.Errors.Select(Describe));
    }

    [Fact]
    public async Task Validation_attributes_check_lengths_ranges_and_patterns()
    {
        var ok = await Invoke(Classifier, "Search", new TestHttpCall("GET", "/search",
            query: [("limit", "5"), ("q", "cats"), ("tag", "abc"), ("minPrice", "2.5"), ("since", "2024-05-06T07:08:09Z"), ("offset", "-3")],
            headers: [("User-Agent", "curl")]));
        using (var json = JsonDocument.Parse(ok.Body))
        {
            var item = Assert.Single(json.RootElement.EnumerateArray().ToList());
            Assert.Equal(5, item.GetProperty("id").GetInt32());
            Assert.Equal("cats|abc|2.5|2024|curl|-3", item.GetProperty("name").GetString());
        }

        var ex = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "Search", new TestHttpCall("GET", "/search",
            query: [("limit", "0"), ("q", "a-very-long-query"), ("tag", "ABC"), ("minPrice", "11"), ("since", "yesterday"), ("offset", "1.5")])));
        Assert.Equal(
            new[]
            {
                "query/limit greater_than_equal Input should be greater than or equal to 1 (0)",
                "query/q string_too_long String should have at most 10 characters (a-very-long-query)",
                "query/tag string_pattern_mismatch String should match pattern '[a-z]+' (ABC)",
                "query/minPrice less_than_equal Input should be less than or equal to 10.5 (11)",
                "query/since datetime_parsing Input should be a valid datetime, unable to parse string as a datetime (yesterday)",
                "query/offset int_parsing Input should be a valid integer, unable to parse string as an integer (1.5)",
            },
            ex.Errors.Select(Describe));

        var missing = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "Search", new TestHttpCall("GET", "/search", query: [("q", "x")])));
        Assert.Equal(
            new[] { "query/limit missing Field required ()", "query/q string_too_short String should have at least 2 characters (x)" },
            missing.Errors.Select(Describe));
    }

    [Fact]
    public async Task Json_body_binds_and_injected_parameters_are_passed()
    {
        var id = Guid.Parse("0123abcd-0000-0000-0000-000000000000");
        var call = new TestHttpCall("PUT", "/items/" + id, route: [("id", id.ToString())], body: """{"id":3,"name":"box","tags":["a"]}""", requestId: "req-1");
        await Invoke(Classifier, "PutItem", call);
        Assert.Equal(201, call.StatusCode);
        using var json = JsonDocument.Parse(call.Body);
        Assert.Equal("0123:box:req-1:True", json.RootElement.GetProperty("name").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Bad_bodies_answer_400_and_422()
    {
        var guid = Guid.NewGuid().ToString();
        var malformed = await Assert.ThrowsAsync<HttpException>(() => Invoke(Classifier, "PutItem",
            new TestHttpCall("PUT", "/items/" + guid, route: [("id", guid)], body: """{"id": 3,""")));
        Assert.Equal(400, malformed.StatusCode);
        Assert.Contains("Invalid JSON body", malformed.Detail, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "PutItem",
            new TestHttpCall("PUT", "/items/nope", route: [("id", "nope")])));
        Assert.Equal(
            new[] { "path/id uuid_parsing Input should be a valid UUID, unable to parse string as a UUID (nope)", "body missing Field required ()" },
            missing.Errors.Select(Describe));

        var tooMany = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "Bulk",
            new TestHttpCall("POST", "/items/bulk", body: """[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]""")));
        Assert.Equal("body too_long List should have at most 3 items after validation, not 4 ()", Describe(Assert.Single(tooMany.Errors)));

        var bulk = await Invoke(Classifier, "Bulk", new TestHttpCall("POST", "/items/bulk", body: """[{"name":"a"},{"name":"b"}]"""));
        Assert.Equal("2", bulk.Body);
    }

    [Fact]
    public async Task Void_task_bytes_and_full_results()
    {
        var delete = await Invoke(Classifier, "Delete", new TestHttpCall("DELETE", "/items/9000000000", route: [("id", "9000000000")]));
        Assert.Equal((200, ""), (delete.StatusCode, delete.Body));
        Assert.Equal(9000000000L, (long)Property("HttpTests.Classifier", "Deleted"));

        var tag = await Invoke(Classifier, "Tag", new TestHttpCall("PATCH", "/items/12/tags/red", route: [("id", "12"), ("tag", "red")]));
        Assert.Equal(200, tag.StatusCode);
        Assert.Equal(12L, (long)Property("HttpTests.Classifier", "Deleted"));

        var bytes = await Invoke(Classifier, "Bytes", new TestHttpCall("GET", "/bytes"));
        Assert.Equal("application/octet-stream", bytes.ContentType);
        Assert.Equal(new byte[] { 1, 2, 3 }, bytes.BodyBytes);

        var raw = await Invoke(Classifier, "Raw", new TestHttpCall("GET", "/raw", requestId: "r-7"));
        Assert.Equal((202, "GET /raw r-7"), (raw.StatusCode, raw.Body));
    }

    [Fact]
    public async Task Streams_write_every_item()
    {
        var items = await Invoke(Classifier, "Stream", new TestHttpCall("GET", "/stream", query: [("count", "3")]));
        Assert.Equal(new[] { """{"id":0,"name":"n0","price":null,"tags":[],"color_name":0}""", """{"id":1,"name":"n1","price":null,"tags":[],"color_name":0}""", """{"id":2,"name":"n2","price":null,"tags":[],"color_name":0}""" }, items.Items);

        var words = await Invoke(Classifier, "Words", new TestHttpCall("GET", "/words", query: [("text", "a b c")]));
        Assert.Equal(new[] { "a", "b", "c" }, words.Items);

        var ex = await Assert.ThrowsAsync<HttpValidationException>(() => Invoke(Classifier, "Stream", new TestHttpCall("GET", "/stream", query: [("count", "6")])));
        Assert.Equal("query/count less_than_equal Input should be less than or equal to 5 (6)", Describe(Assert.Single(ex.Errors)));
    }

    [Fact]
    public async Task Plain_ingress_receives_the_whole_request()
    {
        var router = Definition("HttpTests.Router");
        var route = Assert.Single(router.HttpRoutes);
        Assert.Null(route.HttpMethod);
        Assert.Null(route.Template);
        Assert.Null(router.OpenApiJson);
        var call = new TestHttpCall("GET", "/", query: [("txt", "ilikeyou")]);
        await route.Invoker(router.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal("txt=ilikeyou", call.Body);
    }

    [Fact]
    public async Task A_deployment_serves_grpc_and_http_at_once()
    {
        var both = Definition("HttpTests.Both");
        Assert.Equal("/userdefinedprotos.ImageClassificationService/Predict", Assert.Single(both.GrpcMethods).Path);
        var call = new TestHttpCall("POST", "/anything", body: "hello");
        await Assert.Single(both.HttpRoutes).Invoker(both.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        Assert.Equal("""{"label":"hello","score":1}""", call.Body);
    }

    [Fact]
    public void OpenApi_document_describes_routes_parameters_and_schemas()
    {
        using var document = JsonDocument.Parse(Classifier.OpenApiJson!);
        var root = document.RootElement;
        Assert.Equal("3.1.0", root.GetProperty("openapi").GetString());
        Assert.Equal("classifier", root.GetProperty("info").GetProperty("title").GetString());
        var paths = root.GetProperty("paths");
        Assert.Equal(
            new[] { "/bytes", "/classify", "/healthcheck", "/items/bulk", "/items/{id}", "/items/{id}/tags/{tag}", "/raw", "/search", "/stream", "/test", "/words" },
            paths.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "delete", "get", "put" }, paths.GetProperty("/items/{id}").EnumerateObject().Select(p => p.Name));

        var classify = paths.GetProperty("/classify").GetProperty("post");
        Assert.Equal("PredictSentiment", classify.GetProperty("operationId").GetString());
        var inputText = Assert.Single(classify.GetProperty("parameters").EnumerateArray().ToList());
        Assert.Equal(("input_text", "query", true, "string", 2),
            (inputText.GetProperty("name").GetString(), inputText.GetProperty("in").GetString(), inputText.GetProperty("required").GetBoolean(),
             inputText.GetProperty("schema").GetProperty("type").GetString(), inputText.GetProperty("schema").GetProperty("minLength").GetInt32()));
        Assert.Equal("#/components/schemas/HTTPValidationError",
            classify.GetProperty("responses").GetProperty("422").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/Prediction",
            classify.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());

        var search = paths.GetProperty("/search").GetProperty("get").GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal((1, 100), (search["limit"].GetProperty("schema").GetProperty("minimum").GetInt32(), search["limit"].GetProperty("schema").GetProperty("maximum").GetInt32()));
        Assert.Equal((2, 10), (search["q"].GetProperty("schema").GetProperty("minLength").GetInt32(), search["q"].GetProperty("schema").GetProperty("maxLength").GetInt32()));
        Assert.Equal("^(?:[a-z]+)$", search["tag"].GetProperty("schema").GetProperty("pattern").GetString());
        Assert.False(search["tag"].GetProperty("required").GetBoolean());
        Assert.Equal("header", search["user-agent"].GetProperty("in").GetString());
        Assert.Equal(0.5, search["minPrice"].GetProperty("schema").GetProperty("minimum").GetDouble());

        var getItem = paths.GetProperty("/items/{id}").GetProperty("get").GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("path", getItem["id"].GetProperty("in").GetString());
        Assert.Equal(new[] { "Red", "Green", "Blue" }, getItem["color"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));

        var put = paths.GetProperty("/items/{id}").GetProperty("put");
        Assert.True(put.GetProperty("responses").TryGetProperty("201", out _));
        Assert.Equal("#/components/schemas/Item", put.GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());

        var schemas = root.GetProperty("components").GetProperty("schemas");
        Assert.Equal(new[] { "HTTPValidationError", "Item", "Prediction", "ValidationError" }, schemas.EnumerateObject().Select(p => p.Name));
        var item = schemas.GetProperty("Item");
        Assert.Equal(new[] { "id", "name", "price", "tags", "color_name" }, item.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "name" }, item.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.False(paths.GetProperty("/test").GetProperty("get").GetProperty("responses").TryGetProperty("422", out _));
    }

    private static string Describe(HttpValidationError error)
        => $"{string.Join("/", error.Location)} {error.Type} {error.Message} ({error.Input})";

    private static DeploymentDefinition Definition(string typeName)
        => (DeploymentDefinition)s_http.Value.GetType(typeName, throwOnError: true)!.GetProperty("ServeDefinition", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static object Property(string typeName, string name)
        => s_http.Value.GetType(typeName, throwOnError: true)!.GetProperty(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    private static async Task<TestHttpCall> Invoke(DeploymentDefinition definition, string methodName, TestHttpCall call)
    {
        await definition.HttpRoutes.Single(r => r.MethodName == methodName).Invoker(definition.Factory([], Serve.Dispatch.DeploymentServices.None), call);
        return call;
    }

    /// <summary>A request served in memory: route values, query, headers and body in; the written response collected.</summary>
    private sealed class TestHttpCall : HttpServerCall
    {
        private readonly Dictionary<string, string> _route;

        public TestHttpCall(string method, string path, (string, string)[]? route = null, (string, string)[]? query = null, (string, string)[]? headers = null,
            string? body = null, string? contentType = "application/json", string requestId = "test")
        {
            _route = (route ?? []).ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
            var queryEntries = (query ?? []).Select(q => new KeyValuePair<string, string>(q.Item1, q.Item2)).ToList();
            var headerEntries = (headers ?? []).Select(h => new KeyValuePair<string, string>(h.Item1, h.Item2)).ToList();
            Request = new HttpRequestData(method, "", path, "", new HttpValues(queryEntries, ignoreCase: false), new HttpValues(headerEntries, ignoreCase: true),
                body is null ? null : contentType, body is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(body));
            RequestContext = new ServeRequestContext(requestId, "app");
        }

        public override ServeRequestContext RequestContext { get; }

        public override CancellationToken CancellationToken => new CancellationTokenSource().Token;

        public override HttpRequestData Request { get; }

        public int StatusCode { get; private set; }

        public string? ContentType { get; private set; }

        public byte[] BodyBytes { get; private set; } = [];

        public string Body => Encoding.UTF8.GetString(BodyBytes);

        public List<string> Items { get; } = [];

        public override string? GetRouteValue(string name) => _route.TryGetValue(name, out var value) ? value : null;

        public override ValueTask WriteResultAsync(HttpResult result)
        {
            StatusCode = result.StatusCode;
            ContentType = result.ContentType;
            BodyBytes = result.Body.ToArray();
            return default;
        }

        public override ValueTask WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo, int statusCode)
        {
            StatusCode = statusCode;
            ContentType = "application/json";
            BodyBytes = JsonSerializer.SerializeToUtf8Bytes(value, typeInfo);
            return default;
        }

        public override async ValueTask WriteStreamAsync<T>(IAsyncEnumerable<T> items, JsonTypeInfo<T>? typeInfo)
        {
            StatusCode = 200;
            await foreach (var item in items)
            {
                Items.Add(typeInfo is null ? item?.ToString() ?? "" : JsonSerializer.Serialize(item, typeInfo));
            }
        }
    }
}
