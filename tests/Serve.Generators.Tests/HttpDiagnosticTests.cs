using Microsoft.CodeAnalysis;

namespace Serve.Generators.Tests;

/// <summary>The HTTP diagnostics: one positive (reported at the offending code) and one negative (fixed code, nothing reported) case each.</summary>
public class HttpDiagnosticTests
{
    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.ComponentModel.DataAnnotations;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Serve.Http;

        namespace D;

        public sealed class Dto { public string Name { get; set; } = ""; }

        [JsonSerializable(typeof(Dto))]
        internal sealed partial class Ctx : JsonSerializerContext { }

        """;

    private const string Json = "[Deployment, JsonContext(typeof(Ctx))]";

    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "SERVE0024", """[Deployment] public partial class C { [HttpGet("items")] public string A() => ""; }""", "\"items\"",
            """[Deployment] public partial class C { [HttpGet("/items")] public string A() => ""; }""" },
        { "SERVE0024", """[Deployment] public partial class C { [HttpGet("/items/{id?}")] public string A(int id) => ""; }""", "\"/items/{id?}\"",
            """[Deployment] public partial class C { [HttpGet("/items/{id}")] public string A(int id) => ""; }""" },
        { "SERVE0024", """[Deployment] public partial class C { [HttpGet("/items//x")] public string A() => ""; }""", "\"/items//x\"",
            """[Deployment] public partial class C { [HttpGet("/items/x")] public string A() => ""; }""" },
        { "SERVE0024", """[Deployment] public partial class C { [HttpGet("/items/")] public string A() => ""; }""", "\"/items/\"",
            """[Deployment] public partial class C { [HttpGet("/")] public string A() => ""; }""" },
        { "SERVE0024", """[Deployment] public partial class C { [HttpGet("/item{id}")] public string A(int id) => ""; }""", "\"/item{id}\"",
            """[Deployment] public partial class C { [HttpGet("/item/{id}")] public string A(int id) => ""; }""" },
        { "SERVE0024", """[Deployment] public partial class C { [HttpGet("/{a}/{a}")] public string A(int a) => ""; }""", "\"/{a}/{a}\"",
            """[Deployment] public partial class C { [HttpGet("/{a}/{b}")] public string A(int a, int b) => ""; }""" },
        { "SERVE0025", """[Deployment] public partial class C { [HttpGet("/items/{id}")] public string A(int id) => ""; [HttpGet("/items/{key}")] public string B(string key) => ""; }""", "\"/items/{key}\"",
            """[Deployment] public partial class C { [HttpGet("/items/{id}")] public string A(int id) => ""; [HttpPut("/items/{key}")] public string B(string key) => ""; [HttpGet("/items/all")] public string All() => ""; }""" },
        { "SERVE0026", Json + """ public partial class C { [HttpGet("/")] public string A([FromQuery] Dto d) => ""; }""", "[FromQuery] Dto d",
            Json + """ public partial class C { [HttpGet("/")] public string A([FromBody] Dto d) => ""; }""" },
        { "SERVE0026", """[Deployment] public partial class C { [HttpPost("/")] public string A(IDisposable d) => ""; }""", "IDisposable d",
            """[Deployment] public partial class C { [HttpPost("/")] public string A(HttpRequestData d) => ""; }""" },
        { "SERVE0026", Json + """ public partial class C { [HttpPost("/")] public string A(Dto a, Dto b) => ""; }""", "Dto b",
            Json + """ public partial class C { [HttpPost("/")] public string A(Dto a) => ""; }""" },
        { "SERVE0026", """[Deployment] public partial class C { [HttpGet("/x")] public string A([FromRoute] int id) => ""; }""", "[FromRoute] int id",
            """[Deployment] public partial class C { [HttpGet("/x/{id}")] public string A([FromRoute] int id) => ""; }""" },
        { "SERVE0026", """[Deployment] public partial class C { [HttpGet("/x/{id}")] public string A() => ""; }""", "\"/x/{id}\"",
            """[Deployment] public partial class C { [HttpGet("/x/{id}")] public string A([FromRoute(Name = "id")] string key) => ""; }""" },
        { "SERVE0026", """[Deployment] public partial class C { [HttpGet("/")] public string A(CancellationToken a, CancellationToken b) => ""; }""", "CancellationToken b",
            """[Deployment] public partial class C { [HttpGet("/")] public string A(CancellationToken a, ServeRequestContext b) => ""; }""" },
        { "SERVE0027", """[Deployment] public partial class C { [HttpGet("/")] public Dto A() => new(); }""", "Dto",
            Json + """ public partial class C { [HttpGet("/")] public Dto A() => new(); }""" },
        { "SERVE0027", Json + """ public partial class C { [HttpGet("/")] public Task<List<Dto>> A() => Task.FromResult(new List<Dto>()); }""", "Task<List<Dto>>",
            Json + """ public partial class C { [HttpGet("/")] public Task<Dto> A() => Task.FromResult(new Dto()); }""" },
        { "SERVE0027", """[Deployment, JsonContext(typeof(string))] public partial class C { [HttpPost("/")] public string A(Dto body) => ""; }""", "Dto body",
            Json + """ public partial class C { [HttpPost("/")] public string A(Dto body) => ""; }""" },
        { "SERVE0028", """[Deployment] public partial class C { [HttpIngress] public string A(HttpRequestData r) => ""; [HttpIngress] public string B(HttpRequestData r) => ""; }""", "B",
            """[Deployment] public partial class C { [HttpIngress] public string A(HttpRequestData r) => ""; public string B(HttpRequestData r) => ""; }""" },
        { "SERVE0028", """[Deployment] public partial class C { [HttpIngress] public string A(HttpRequestData r) => ""; [HttpGet("/")] public string B() => ""; }""", "A",
            """[Deployment] public partial class C { [HttpGet("/a")] public string A(HttpRequestData r) => ""; [HttpGet("/")] public string B() => ""; }""" },
        { "SERVE0028", """[Deployment] public partial class C { [HttpIngress] public string A(HttpRequestData r, string s) => ""; }""", "A",
            """[Deployment] public partial class C { [HttpIngress] public string A(HttpRequestData r, ServeRequestContext c, CancellationToken t) => ""; }""" },
        { "SERVE0029", """[Deployment] public partial class C { [HttpGet("/")] public string A([Range(1, 5)] string s) => s; }""", "Range(1, 5)",
            """[Deployment] public partial class C { [HttpGet("/")] public string A([Range(1, 5)] int s) => ""; }""" },
        { "SERVE0029", """[Deployment] public partial class C { [HttpGet("/")] public string A([MinLength(2)] int n) => ""; }""", "MinLength(2)",
            """[Deployment] public partial class C { [HttpGet("/")] public string A([MinLength(2)] string n) => n; }""" },
        { "SERVE0029", """[Deployment] public partial class C { [HttpGet("/")] public string A([RegularExpression("[a-")] string s) => s; }""", "RegularExpression(\"[a-\")",
            """[Deployment] public partial class C { [HttpGet("/")] public string A([RegularExpression("[a-z]")] string s) => s; }""" },
        { "SERVE0029", """[Deployment] public partial class C { [HttpGet("/")] public string A([Range(5, 1)] int n) => ""; }""", "Range(5, 1)",
            """[Deployment] public partial class C { [HttpGet("/")] public string A([Range(1, 5)] int n) => ""; }""" },
        { "SERVE0030", """[Deployment] public partial class C { [HttpGet("/")] public static string A() => ""; }""", "A",
            """[Deployment] public partial class C { [HttpGet("/")] public string A() => ""; }""" },
        { "SERVE0030", """[Deployment] public partial class C { [HttpGet("/")] public string A<T>() => ""; }""", "A",
            """[Deployment] public partial class C { [HttpGet("/")] public string A() => ""; }""" },
        { "SERVE0030", """[Deployment] public partial class C { [HttpGet("/")] private string A() => ""; }""", "A",
            """[Deployment] public partial class C { [HttpGet("/")] internal string A() => ""; }""" },
        { "SERVE0030", """[Deployment] public partial class C { [HttpGet("/")] public Task<IAsyncEnumerable<string>> A() => null!; }""", "Task<IAsyncEnumerable<string>>",
            """[Deployment] public partial class C { [HttpGet("/")] public IAsyncEnumerable<string> A() => null!; }""" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reported_at_the_offending_code(string id, string bad, string locationText, string fixedSource)
    {
        _ = fixedSource;
        var source = Prelude + bad;
        var diagnostics = GeneratorHarness.Run(GeneratorHarness.Compile(("Deployment.cs", source))).GeneratorDiagnostics;
        var matching = diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count > 0, $"Expected {id}; got: {string.Join("\n", diagnostics)}");
        var at = matching.Where(d => TextAt(source, d) == locationText).ToList();
        Assert.True(at.Count > 0, $"Expected {id} at '{locationText}'; got: {string.Join("\n", matching.Select(d => d + " @ '" + TextAt(source, d) + "'"))}");
        Assert.Equal(diagnostics.Length, diagnostics.Select(d => d.ToString()).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Not_reported_for_correct_code(string id, string bad, string locationText, string fixedSource)
    {
        _ = (bad, locationText);
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Deployment.cs", Prelude + fixedSource)), withJson: true);
        Assert.DoesNotContain(diagnostics, d => d.Id == id);
        Assert.Empty(diagnostics.Where(d => d.Id.StartsWith("SERVE", StringComparison.Ordinal)));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Messages_say_what_is_wrong()
    {
        string Message(string source) => Assert.Single(GeneratorHarness.Run(GeneratorHarness.Compile(("Deployment.cs", Prelude + source))).GeneratorDiagnostics)
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal("Route template '/items/{id?}' of method 'A' is invalid: optional parameters ('{id?}') are not supported; bind the value from the query string instead",
            Message("""[Deployment] public partial class C { [HttpGet("/items/{id?}")] public string A(int id) => ""; }"""));
        Assert.Equal("'GET /items/{key}' on method 'B' matches the same requests as 'GET /items/{id}' on method 'A'; change one template or HTTP method",
            Message("""[Deployment] public partial class C { [HttpGet("/items/{id}")] public string A(int id) => ""; [HttpGet("/items/{key}")] public string B(string key) => ""; }"""));
        Assert.Equal("Parameter 'b' of method 'A' cannot be bound: a request has one JSON body, and parameter 'a' already binds it; combine them into one type",
            Message(Json + """ public partial class C { [HttpPost("/")] public string A(Dto a, Dto b) => ""; }"""));
        Assert.Equal("'System.Collections.Generic.List<D.Dto>' is the result of method 'A' and needs System.Text.Json metadata, but the JSON context 'D.Ctx' has no [JsonSerializable(typeof(System.Collections.Generic.List<D.Dto>))]",
            Message(Json + """ public partial class C { [HttpGet("/")] public List<Dto> A() => new(); }"""));
        Assert.Equal("[Range] on parameter 's' of method 'A' applies to numbers, not 'string'",
            Message("""[Deployment] public partial class C { [HttpGet("/")] public string A([Range(1, 5)] string s) => s; }"""));
    }

    [Fact]
    public void A_route_attribute_without_a_template_serves_the_root()
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Deployment.cs", Prelude
            + """[Deployment] public partial class C { [HttpGet] public string A() => ""; [HttpPost] public string B() => ""; }""")));
        Assert.Empty(diagnostics);
        var source = GeneratorHarness.GeneratedSource(result, "D.C.Serve.g.cs");
        Assert.Contains("HttpRouteDefinition(\"GET\", \"/\", \"A\", __ServeHttp_A)", source, StringComparison.Ordinal);
        Assert.Contains("HttpRouteDefinition(\"POST\", \"/\", \"B\", __ServeHttp_B)", source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_method_with_two_routes_reports_a_parameter_problem_once()
    {
        var diagnostics = GeneratorHarness.Run(GeneratorHarness.Compile(("Deployment.cs", Prelude
            + """[Deployment] public partial class C { [HttpGet("/a"), HttpPost("/b")] public string A(IDisposable d) => ""; }""")))
            .GeneratorDiagnostics;
        Assert.Equal("SERVE0026", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void Errors_leave_the_rest_of_the_deployment_compiling()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Deployment.cs", Prelude + """
            [Deployment] public partial class C { [HttpGet("bad")] public string A() => ""; [HttpGet("/ok")] public string B() => ""; }
            public static class Apps { [ApplicationBuilder] public static Application App => C.Bind(); }
            """)), withJson: true);
        Assert.Equal("SERVE0024", Assert.Single(diagnostics).Id);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var generated = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("D.C.Serve.g.cs", StringComparison.Ordinal)).ToString();
        Assert.Contains("HttpRouteDefinition(\"GET\", \"/ok\", \"B\", __ServeHttp_B)", generated, StringComparison.Ordinal);
        Assert.DoesNotContain("__ServeHttp_A", generated, StringComparison.Ordinal);
    }

    private static string TextAt(string source, Diagnostic diagnostic)
    {
        var span = diagnostic.Location.SourceSpan;
        return diagnostic.Location.GetLineSpan().Path == "Deployment.cs" && span.End <= source.Length ? source.Substring(span.Start, span.Length) : "";
    }
}
