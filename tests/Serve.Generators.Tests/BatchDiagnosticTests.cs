using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Serve.Generators.Tests;

/// <summary>SERVE0035–SERVE0038: one positive (reported at the offending member) and one negative (fixed code) case each, and the messages.</summary>
public class BatchDiagnosticTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Grpc.Core;
        using Serve.Tests.Protos;
        using Userdefinedprotos;

        namespace D;

        """;

    private const string Classifier = """[Deployment(MaxOngoingRequests = 100), GrpcService("userdefinedprotos.ImageClassificationService")]""";

    private const string GoodPredict = "[Batch] public Task<ImageClass[]> Predict(IReadOnlyList<ImageData> images) => Task.FromResult(images.Select(i => new ImageClass()).ToArray());";

    public static TheoryData<string, string, string, string> Cases => new()
    {
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch] public Task<int[]> M(int[] x) => Task.FromResult(x); }",
            "M",
            "[Deployment(MaxOngoingRequests = 10)] public partial class C { [Batch] public Task<int[]> M(IReadOnlyList<int> x) => Task.FromResult(x.ToArray()); }"
        },
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch] public Task<int> M(IReadOnlyList<int> x) => Task.FromResult(x.Count); }",
            "M",
            "[Deployment] public partial class C { [Batch] public Task<List<int>> M(IReadOnlyList<int> x) => Task.FromResult(x.ToList()); }"
        },
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch] public int[] M(IReadOnlyList<int> x, ServeRequestContext context) => x.ToArray(); }",
            "M",
            "[Deployment] public partial class C { [Batch] public int[] M(IReadOnlyList<int> x, CancellationToken cancellationToken) => x.ToArray(); }"
        },
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch] public async IAsyncEnumerable<int> M(IReadOnlyList<int> x) { await Task.Yield(); yield return 1; } }",
            "M",
            "[Deployment] public partial class C { [Batch] public async ValueTask<IReadOnlyList<int>> M(IReadOnlyList<int> x) { await Task.Yield(); return x; } }"
        },
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch] public static int[] M(IReadOnlyList<int> x) => x.ToArray(); }",
            "M",
            "[Deployment] public partial class C { [Batch] private int[] M(IReadOnlyList<int> x) => x.ToArray(); }"
        },
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); public ValueTask<int> M(int x, CancellationToken ct) => new(x); }",
            "M",
            "[Deployment] public partial class C { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); public ValueTask<int> M(int x) => new(x); }"
        },
        {
            "SERVE0035",
            "[Deployment] public partial class C { [Batch, Multiplexed] public string[] Load(IReadOnlyList<string> id) => id.ToArray(); }",
            "Load",
            "[Deployment] public partial class C { [Multiplexed] public string Load(string id) => id; }"
        },
        {
            "SERVE0036",
            "[Deployment] public partial class C { [Batch(MaxBatchSize = 0)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }",
            "MaxBatchSize = 0",
            "[Deployment] public partial class C { [Batch(MaxBatchSize = 1)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"
        },
        {
            "SERVE0036",
            "[Deployment] public partial class C { [Batch(BatchWaitTimeoutS = -0.5)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }",
            "BatchWaitTimeoutS = -0.5",
            "[Deployment] public partial class C { [Batch(BatchWaitTimeoutS = 0)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"
        },
        {
            "SERVE0036",
            "[Deployment] public partial class C { [Batch(MaxConcurrentBatches = 0)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }",
            "MaxConcurrentBatches = 0",
            "[Deployment] public partial class C { [Batch(MaxConcurrentBatches = 3)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"
        },
        {
            "SERVE0037",
            "[Deployment(MaxOngoingRequests = 7)] public partial class C { [Batch(MaxBatchSize = 4, MaxConcurrentBatches = 2)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }",
            "M",
            "[Deployment(MaxOngoingRequests = 8)] public partial class C { [Batch(MaxBatchSize = 4, MaxConcurrentBatches = 2)] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"
        },
        {
            "SERVE0038",
            "public class Helper { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }",
            "M",
            "[Deployment] public partial class Helper { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"
        },
        {
            "SERVE0005",
            Classifier + " public partial class C { [Batch] public Task<ImageClass[]> Predict(IReadOnlyList<string> urls) => Task.FromResult(urls.Select(u => new ImageClass()).ToArray()); }",
            "IReadOnlyList<string> urls",
            Classifier + " public partial class C { " + GoodPredict + " }"
        },
        {
            "SERVE0006",
            Classifier + " public partial class C { [Batch] public Task<string[]> Predict(IReadOnlyList<ImageData> images) => Task.FromResult(images.Select(i => i.Url).ToArray()); }",
            "Task<string[]>",
            Classifier + " public partial class C { " + GoodPredict + " }"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reported_at_the_offending_member(string id, string bad, string locationText, string fixedSource)
    {
        _ = fixedSource;
        var source = Usings + bad;
        var diagnostics = GeneratorHarness.GeneratorDiagnostics(source);
        var matching = diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count > 0, $"Expected {id}; got: {string.Join("\n", diagnostics)}");
        Assert.Contains(matching, d => d.Location.GetLineSpan().Path == "Deployment.cs" && TextAt(source, d) == locationText);
        Assert.Equal(diagnostics.Length, diagnostics.Select(d => d.ToString()).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Not_reported_for_correct_code(string id, string bad, string locationText, string fixedSource)
    {
        _ = (bad, locationText);
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(Usings + fixedSource));
        Assert.DoesNotContain(diagnostics, d => d.Id == id);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Invalid_signature_message_shows_the_expected_signature()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(Usings + "[Deployment] public partial class C { [Batch] public Task<string[]> M(List<int> numbers) => Task.FromResult(new string[0]); }"));
        Assert.Equal("SERVE0035", diagnostic.Id);
        Assert.Equal(
            "[Batch] method 'M' takes 'System.Collections.Generic.List<int>'; declare the parameter as IReadOnlyList<int>; a batched method is an instance method like "
            + "'Task<IReadOnlyList<string>> M(IReadOnlyList<TIn> numbers, CancellationToken cancellationToken)' (the CancellationToken is optional) returning one result per item "
            + "as IReadOnlyList<TOut>, TOut[] or List<TOut>, directly or in a Task or ValueTask",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Streaming_message_says_batched_generators_are_not_supported_yet()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(Usings
            + "[Deployment] public partial class C { [Batch] public async IAsyncEnumerable<string> M(IReadOnlyList<int> x) { await Task.Yield(); yield return \"\"; } }"));
        Assert.StartsWith(
            "[Batch] method 'M' returns a stream ('System.Collections.Generic.IAsyncEnumerable<string>'): batched streaming methods (Ray Serve's batched generators) are not supported yet",
            diagnostic.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void Batched_methods_serve_unary_rpcs_only()
    {
        var source = Usings + """
            [Deployment(MaxOngoingRequests = 100), GrpcService("serve.tests.Echo")]
            public partial class C
            {
                public EchoReply Say(EchoRequest request) => new();
                [Batch] public Task<EchoReply[]> SayMany(IReadOnlyList<EchoRequest> requests) => Task.FromResult(requests.Select(r => new EchoReply()).ToArray());
                public Google.Protobuf.WellKnownTypes.StringValue Ping(Google.Protobuf.WellKnownTypes.Empty request) => new();
                public EchoRequest.Types.Inner.Types.Deeper Nested(EchoRequest.Types.Inner request) => new();
            }
            """;
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(source));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("SERVE0035", diagnostic.Id);
        Assert.Equal(
            "[Batch] method 'SayMany' binds to server-streaming RPC 'SayMany'; batched methods serve unary RPCs only (batched streaming, Ray Serve's batched generators, is not supported yet)",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Max_ongoing_requests_warning_names_both_numbers()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(Usings
            + "[Deployment(Name = \"d\", MaxOngoingRequests = 5)] public partial class C { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"));
        Assert.Equal(("SERVE0037", DiagnosticSeverity.Warning), (diagnostic.Id, diagnostic.Severity));
        Assert.Equal(
            "Deployment 'd' sets MaxOngoingRequests = 5, below MaxBatchSize (10) \u00d7 MaxConcurrentBatches (1) = 10 of [Batch] method 'M': a replica never holds enough calls to fill its batches; raise MaxOngoingRequests to at least 10",
            diagnostic.GetMessage(CultureInfo.InvariantCulture));
        // Without MaxOngoingRequests in code the config decides it: the runtime warns at deploy time instead.
        Assert.Empty(GeneratorHarness.GeneratorDiagnostics(Usings + "[Deployment] public partial class C { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }"));
    }

    [Fact]
    public void Invalid_batch_methods_still_let_callers_of_the_per_item_overload_compile()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(Usings + """
            [Deployment] public partial class C
            {
                [Batch(MaxBatchSize = 0)] public int[] M(IReadOnlyList<int> x) => x.ToArray();
                [Batch] public int[] N(IReadOnlyList<int> x, string extra) => x.ToArray();
                public async Task<int> Use() => await M(1) + await N(2);
            }
            """));
        Assert.Equal(new[] { "SERVE0035", "SERVE0036" }, diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    private static string TextAt(string source, Diagnostic diagnostic) => source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);
}
