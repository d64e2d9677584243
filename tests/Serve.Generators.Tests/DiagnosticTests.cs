using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.CodeAnalysis;

namespace Serve.Generators.Tests;

/// <summary>One positive (reported, with the right location) and one negative (fixed code, nothing reported) case per diagnostic.</summary>
public class DiagnosticTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Grpc.Core;
        using Serve.Tests.Protos;
        using Userdefinedprotos;

        namespace D;

        """;

    private const string Classifier = """[Deployment, GrpcService("userdefinedprotos.ImageClassificationService")]""";

    private const string Chat = """[Deployment, GrpcService("serve.tests.Chat")]""";

    private const string Upload = "public Task<EchoReply> Upload(IAsyncEnumerable<EchoRequest> requests, GrpcContext grpc) => Task.FromResult(new EchoReply());";

    private const string Converse = "public async IAsyncEnumerable<EchoReply> Converse(IAsyncEnumerable<EchoRequest> requests) { await foreach (var r in requests) { yield return new EchoReply { Text = r.Text }; } }";

    public static TheoryData<string, string, string, string> Cases => new()
    {
        {
            "SERVE0001",
            "[Deployment] public class NotPartial { }",
            "NotPartial",
            "[Deployment] public partial class NotPartial { }"
        },
        {
            "SERVE0001",
            "public class Outer { [Deployment] public partial class Inner { } }",
            "Inner",
            "public partial class Outer { [Deployment] public partial class Inner { } }"
        },
        {
            "SERVE0002",
            """[Deployment, GrpcService("ImageClassificationService")] public partial class C { public ImageClass Predict(ImageData d) => new(); }""",
            "\"ImageClassificationService\"",
            """[Deployment, GrpcService("userdefinedprotos.ImageClassificationService")] public partial class C { public ImageClass Predict(ImageData d) => new(); }"""
        },
        {
            "SERVE0003",
            Classifier + " public partial class C { }",
            "C",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0003",
            Classifier + " public partial class C { public ImageClass Predit(ImageData d) => new(); }",
            "Predit",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0004",
            Classifier + " public partial class C { public ImageClass predict(ImageData d) => new(); }",
            "predict",
            Classifier + " public partial class C { [GrpcMethod(\"Predict\")] public ImageClass predict(ImageData d) => new(); }"
        },
        {
            "SERVE0005",
            Classifier + " public partial class C { public ImageClass Predict(ImageClass d) => new(); }",
            "ImageClass d",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0005",
            Classifier + " public partial class C { public ImageClass Predict() => new(); }",
            "Predict",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0006",
            Classifier + " public partial class C { public ImageData Predict(ImageData d) => new(); }",
            "ImageData",
            Classifier + " public partial class C { public Task<ImageClass> Predict(ImageData d) => Task.FromResult(new ImageClass()); }"
        },
        {
            "SERVE0006",
            Classifier + " public partial class C { public Task Predict(ImageData d) => Task.CompletedTask; }",
            "Task",
            Classifier + " public partial class C { public ValueTask<ImageClass> Predict(ImageData d) => new(new ImageClass()); }"
        },
        {
            "SERVE0007",
            Classifier + " public partial class C { public IEnumerable<ImageClass> Predict(ImageData d) { yield break; } }",
            "IEnumerable<ImageClass>",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0007",
            """
            [Deployment, GrpcService("userdefinedprotos.UserDefinedService")]
            public partial class C
            {
                [GrpcMethod("__call__")] public UserDefinedResponse Call(UserDefinedMessage m) => new();
                public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 m) => new();
                public Task<UserDefinedResponse> Streaming(UserDefinedMessage m) => Task.FromResult(new UserDefinedResponse());
            }
            """,
            "Task<UserDefinedResponse>",
            """
            [Deployment, GrpcService("userdefinedprotos.UserDefinedService")]
            public partial class C
            {
                [GrpcMethod("__call__")] public UserDefinedResponse Call(UserDefinedMessage m) => new();
                public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 m) => new();
                public IEnumerable<UserDefinedResponse> Streaming(UserDefinedMessage m) { yield break; }
            }
            """
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, string extra) => new(); }",
            "string extra",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, ServeRequestContext c, GrpcContext g, CancellationToken t) => new(); }"
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, GrpcContext a, GrpcContext b) => new(); }",
            "GrpcContext b",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, GrpcContext a) => new(); }"
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { public static ImageClass Predict(ImageData d) => new(); }",
            "Predict",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { public ImageClass Predict<T>(ImageData d) => new(); }",
            "Predict",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { public ImageClass Predict(ref ImageData d) => new(); }",
            "ref ImageData d",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { private ImageClass Predict(ImageData d) => new(); }",
            "Predict",
            Classifier + " public partial class C { internal ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0008",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, CancellationToken a, CancellationToken b) => new(); }",
            "CancellationToken b",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, CancellationToken a) => new(); }"
        },
        {
            "SERVE0009",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); [GrpcMethod(\"Predict\")] public ImageClass Classify(ImageData d) => new(); }",
            "Classify",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); public ImageClass Classify(ImageData d) => new(); }"
        },
        {
            "SERVE0010",
            Classifier + " public partial class C { [GrpcMethod(\"predict\")] public ImageClass Classify(ImageData d) => new(); }",
            "\"predict\"",
            Classifier + " public partial class C { [GrpcMethod(\"Predict\")] public ImageClass Classify(ImageData d) => new(); }"
        },
        {
            "SERVE0012",
            "public static class Apps { [ApplicationBuilder] public static string Bad => \"\"; }",
            "Bad",
            "[Deployment] public partial class C { } public static class Apps { [ApplicationBuilder] public static Application Good => C.Bind(); }"
        },
        {
            "SERVE0012",
            "[Deployment] public partial class C { } public static class Apps { [ApplicationBuilder] public static Application Build(string name) => C.Bind(); }",
            "Build",
            "[Deployment] public partial class C { } public static class Apps { [ApplicationBuilder] public static Application Build(ApplicationArgs args) => C.Bind(); }"
        },
        {
            "SERVE0012",
            "[Deployment] public partial class C { } public class Apps { [ApplicationBuilder] public Application Build() => C.Bind(); }",
            "Build",
            "[Deployment] public partial class C { } public class Apps { [ApplicationBuilder] public static Application Build() => C.Bind(); }"
        },
        {
            "SERVE0013",
            "[Deployment] public partial class C { public C() { } public C(int x) { } }",
            "C",
            "[Deployment] public partial class C { public C() { } internal C(int x) { } }"
        },
        {
            "SERVE0013",
            "[Deployment] public partial class C { private C() { } }",
            "C",
            "[Deployment] public partial class C { public C() { } }"
        },
        {
            "SERVE0014",
            "[Deployment] public abstract partial class C { }",
            "C",
            "[Deployment] public partial class C { }"
        },
        {
            "SERVE0014",
            "[Deployment] public partial class C<T> { }",
            "C",
            "[Deployment] public partial class C { }"
        },
        {
            "SERVE0014",
            "public partial class Outer { [Deployment] private partial class C { } }",
            "C",
            "public partial class Outer { [Deployment] internal partial class C { } }"
        },
        {
            "SERVE0005",
            Chat + " public partial class C { public EchoReply Upload(IAsyncEnumerable<EchoReply> requests) => new(); " + Converse + " }",
            "IAsyncEnumerable<EchoReply> requests",
            Chat + " public partial class C { public EchoReply Upload(IAsyncEnumerable<EchoRequest> requests) => new(); " + Converse + " }"
        },
        {
            "SERVE0007",
            Chat + " public partial class C { public EchoReply Upload(EchoRequest request) => new(); " + Converse + " }",
            "EchoRequest request",
            Chat + " public partial class C { " + Upload + " " + Converse + " }"
        },
        {
            "SERVE0007",
            Chat + " public partial class C { " + Upload + " public IEnumerable<EchoReply> Converse(IAsyncEnumerable<EchoRequest> requests) { yield break; } }",
            "IEnumerable<EchoReply>",
            Chat + " public partial class C { " + Upload + " " + Converse + " }"
        },
        {
            "SERVE0007",
            Classifier + " public partial class C { public ImageClass Predict(IAsyncEnumerable<ImageData> d) => new(); }",
            "IAsyncEnumerable<ImageData> d",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
        },
        {
            "SERVE0018",
            Classifier + " public partial class C { public ImageClass Predict(ServeRequestContext c, ImageData d) => new(); }",
            "ServeRequestContext c",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, ServeRequestContext c) => new(); }"
        },
        {
            "SERVE0018",
            Classifier + " public partial class C { public ImageClass Predict(GrpcContext g, ImageData d) => new(); }",
            "GrpcContext g",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d, GrpcContext g) => new(); }"
        },
        {
            "SERVE0018",
            Chat + " public partial class C { public EchoReply Upload(CancellationToken t, IAsyncEnumerable<EchoRequest> requests) => new(); " + Converse + " }",
            "CancellationToken t",
            Chat + " public partial class C { public EchoReply Upload(IAsyncEnumerable<EchoRequest> requests, CancellationToken t) => new(); " + Converse + " }"
        },
        {
            "SERVE0019",
            "[Deployment] public partial class C { [Multiplexed] public string A(string id) => id; [Multiplexed] public string B(string id) => id; }",
            "B",
            "[Deployment] public partial class C { [Multiplexed] public string A(string id) => id; public string B(string id) => id; }"
        },
        {
            "SERVE0020",
            "[Deployment] public partial class C { [Multiplexed] public string Load(int id) => \"\"; }",
            "Load",
            "[Deployment] public partial class C { [Multiplexed] public ValueTask<string> Load(string id, CancellationToken ct) => new(id); }"
        },
        {
            "SERVE0020",
            "[Deployment] public partial class C { [Multiplexed] public Task Load(string id) => Task.CompletedTask; }",
            "Load",
            "[Deployment] public partial class C { [Multiplexed] public Task<string> Load(string id) => Task.FromResult(id); }"
        },
        {
            "SERVE0020",
            "[Deployment] public partial class C { [Multiplexed] public static string Load(string id) => id; }",
            "Load",
            "[Deployment] public partial class C { [Multiplexed] private string Load(string id) => id; }"
        },
        {
            "SERVE0020",
            "[Deployment] public partial class C { [Multiplexed] public T Load<T>(string id) => default!; }",
            "Load",
            "[Deployment] public partial class C { [Multiplexed] public string Load(string id, CancellationToken cancellationToken) => id; }"
        },
        {
            "SERVE0021",
            "[Deployment] public partial class C { [Multiplexed(MaxModelsPerReplica = 0)] public string Load(string id) => id; }",
            "MaxModelsPerReplica = 0",
            "[Deployment] public partial class C { [Multiplexed(MaxModelsPerReplica = 1)] public string Load(string id) => id; }"
        },
        {
            "SERVE0022",
            "public class Models { [Multiplexed] public string Load(string id) => id; }",
            "Load",
            "[Deployment] public partial class Models { [Multiplexed] public string Load(string id) => id; }"
        },
        {
            "SERVE0022",
            "[Deployment] public partial class C { public class Inner { [Multiplexed] public string Load(string id) => id; } }",
            "Load",
            "[Deployment] public partial class C { [Multiplexed] public string Load(string id) => id; public class Inner { } }"
        },
        {
            "SERVE0023",
            "[Deployment] public partial class C { [Multiplexed] public string Load(string id) => id; public string GetMultiplexedModelAsync() => \"\"; }",
            "GetMultiplexedModelAsync",
            "[Deployment] public partial class C { [Multiplexed] public string Load(string id) => id; public ValueTask<string> Current() => GetMultiplexedModelAsync(); }"
        },
        {
            "SERVE0023",
            "public class Base { protected void GetMultiplexedModelAsync() { } } [Deployment] public partial class C : Base { [Multiplexed] public string Load(string id) => id; }",
            "GetMultiplexedModelAsync",
            "public class Base { private void GetMultiplexedModelAsync() { } } [Deployment] public partial class C : Base { [Multiplexed] public string Load(string id) => id; }"
        },
        {
            "SERVE0031",
            "public class Helper { } [Deployment] public partial class C { public C(DeploymentHandle<Helper> helper) { } }",
            "DeploymentHandle<Helper> helper",
            "[Deployment] public partial class Helper { } [Deployment] public partial class C { public C(DeploymentHandle<Helper> helper) { } }"
        },
        {
            "SERVE0031",
            "public interface IModel { } [Deployment] public partial class C { public C(int size, DeploymentHandle<IModel>? model) { } }",
            "DeploymentHandle<IModel>? model",
            "[Deployment] public partial class Model { } [Deployment] public partial class C { public C(int size, DeploymentHandle<Model>? model) { } }"
        },
        {
            "SERVE0032",
            "[Deployment] public partial class A { public A(DeploymentHandle<B> b) { } } [Deployment] public partial class B { public B(DeploymentHandle<A> a) { } }",
            "A",
            "[Deployment] public partial class A { public A(DeploymentHandle<B> b) { } } [Deployment] public partial class B { public B(int a) { } }"
        },
        {
            "SERVE0032",
            "[Deployment] public partial class Self { public Self(DeploymentHandle<Self> self) { } }",
            "Self",
            "[Deployment] public partial class Self { public Self(DeploymentHandle<Other> other) { } } [Deployment] public partial class Other { }"
        },
        {
            "SERVE0033",
            "[Deployment] public partial class C { public int Timeout(int seconds) => seconds; }",
            "Timeout",
            "[Deployment] public partial class C { public int Call(int seconds) => seconds; public int Stream(string text, int a, int b) => a; }"
        },
        {
            "SERVE0033",
            "[Deployment] public partial class C { public string Options(string model) => model; }",
            "Options",
            "[Deployment] public partial class C { public string Options(int replicas) => \"\"; public string WithOptions(string model) => model; }"
        },
        {
            "SERVE0033",
            "[Deployment] public partial class C { public bool Equals(C other) => true; }",
            "Equals",
            "[Deployment] public partial class C { public bool Equals(C other, C another) => true; public override string ToString() => \"\"; }"
        },
        {
            "SERVE0034",
            "[Deployment] public partial class Model { } [Deployment] public partial class C { public C(Application<Model> model) { } }",
            "Application<Model> model",
            "[Deployment] public partial class Model { } [Deployment] public partial class C { public C(DeploymentHandle<Model> model) { } }"
        },
        {
            "SERVE0034",
            "[Deployment] public partial class C { public C(int size, Application app) { } }",
            "Application app",
            "[Deployment] public partial class C { public C(int size, Dag<int, int> graph) { } }"
        },
        {
            "SERVE0040",
            "[Deployment(Name = \"Model\")] public partial class A { } [Deployment] public partial class Model { }",
            "Name = \"Model\"",
            "[Deployment(Name = \"ModelA\")] public partial class A { } [Deployment] public partial class Model { }"
        },
        {
            "SERVE0040",
            "[Deployment(Name = \"Model\")] public partial class A { } [Deployment] public partial class Model { }",
            "Model",
            "[Deployment(Name = \"Model\")] public partial class A { } [Deployment(Name = \"Model2\")] public partial class Model { }"
        },
        {
            "SERVE0017",
            Classifier + """[GrpcService("userdefinedprotos.ImageClassificationService")] public partial class C { public ImageClass Predict(ImageData d) => new(); }""",
            "\"userdefinedprotos.ImageClassificationService\"",
            Classifier + " public partial class C { public ImageClass Predict(ImageData d) => new(); }"
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
        var at = matching.Where(d => d.Location.GetLineSpan().Path == "Deployment.cs" && TextAt(source, d) == locationText).ToList();
        Assert.True(at.Count > 0, $"Expected {id} at '{locationText}'; got: {string.Join("\n", matching.Select(d => d + " @ '" + TextAt(source, d) + "'"))}");
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
    public void Handle_cycles_are_reported_on_every_deployment_of_the_cycle_with_its_path()
    {
        var source = Usings + """
            [Deployment] public partial class A { public A(DeploymentHandle<B> b) { } }
            [Deployment] public partial class B { public B(DeploymentHandle<C> c, DeploymentHandle<Leaf> leaf) { } }
            [Deployment] public partial class C { public C(DeploymentHandle<A> a) { } }
            [Deployment] public partial class Entry { public Entry(DeploymentHandle<A> a) { } }
            [Deployment] public partial class Leaf { }
            [Deployment] public partial class Self { public Self(DeploymentHandle<Self> self, DeploymentHandle<Leaf> leaf) { } }
            """;
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(source));
        Assert.All(diagnostics, d => Assert.Equal("SERVE0032", d.Id));
        Assert.Equal(
            new[]
            {
                "A: Deployment 'D.A' reaches itself through the deployment handles its constructor takes (D.A \u2192 D.B \u2192 D.C \u2192 D.A); an application graph must be acyclic, since a deployment is bound after the deployments it takes handles to",
                "B: Deployment 'D.B' reaches itself through the deployment handles its constructor takes (D.B \u2192 D.C \u2192 D.A \u2192 D.B); an application graph must be acyclic, since a deployment is bound after the deployments it takes handles to",
                "C: Deployment 'D.C' reaches itself through the deployment handles its constructor takes (D.C \u2192 D.A \u2192 D.B \u2192 D.C); an application graph must be acyclic, since a deployment is bound after the deployments it takes handles to",
                "Self: Deployment 'D.Self' reaches itself through the deployment handles its constructor takes (D.Self \u2192 D.Self); an application graph must be acyclic, since a deployment is bound after the deployments it takes handles to",
            },
            diagnostics.Select(d => TextAt(source, d) + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal));
        // Bind and the handles are still emitted, so the rest of the code compiles.
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Handle_of_a_non_deployment_names_the_parameter_and_the_type()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(Usings + "public class Helper { } [Deployment] public partial class C { public C(DeploymentHandle<Helper> helper) { } }"));
        Assert.Equal(
            "Constructor parameter 'helper' is a DeploymentHandle<D.Helper>, but 'D.Helper' is not a [Deployment] class; a handle calls a deployment, so bind a deployment class (DeploymentHandle<MyDeployment>, bound with MyDeployment.Bind(...))",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Methods_hidden_by_the_handles_members_are_reported_and_not_emitted()
    {
        var source = Usings + """
            public class Base { public string DeploymentName() => ""; }
            [Deployment] public partial class C : Base
            {
                public int Timeout() => 0;
                public new string ToString() => "";
                public int GetHashCode(int seed) => seed;
                public string Options() => "";
                public string Options(int replicas) => "";
                public bool Equals(int other) => true;
                public int Call(string method, int a, int b) => a;
                public IEnumerable<int> Stream() { yield break; }
                public int Forward(int x) => x;
            }
            """;
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(source));
        Assert.All(diagnostics, d => Assert.Equal("SERVE0033", d.Id));
        // The inherited method is reported where it is declared.
        Assert.Equal(new[] { "DeploymentName", "Equals", "Options", "Timeout", "ToString" }, diagnostics.Select(d => TextAt(source, d)).Order(StringComparer.Ordinal));
        Assert.Contains(diagnostics, d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).StartsWith("Method 'DeploymentName' of deployment 'D.C' gets no handle method", StringComparison.Ordinal));
        var generated = GeneratorHarness.GeneratedSource(result, "D.C.Serve.g.cs");
        foreach (var emitted in new[] { " GetHashCode(this ", " Options(this ", " Call(this ", " Stream(this ", " Forward(this " })
        {
            Assert.Contains(emitted, generated, StringComparison.Ordinal);
        }
        // Options(int) is reachable (DeploymentHandle's Options takes a string first); Options() is not.
        Assert.Equal(2, generated.Split(" Options(this ").Length);
        foreach (var hidden in new[] { " Timeout(this ", " ToString(this ", " Equals(this ", " DeploymentName(this " })
        {
            Assert.DoesNotContain(hidden, generated, StringComparison.Ordinal);
        }
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Application_builders_may_return_typed_applications()
    {
        var diagnostics = GeneratorHarness.GeneratorDiagnostics(Usings + """
            [Deployment] public partial class M { }
            public static class Apps
            {
                [ApplicationBuilder] public static Application<M> Typed => M.Bind();
                [ApplicationBuilder] public static Application<M> TypedMethod(ApplicationArgs args) => M.Bind();
            }
            """);
        Assert.Empty(diagnostics);
    }

    [Fact]
    public void Streaming_shape_messages_name_the_request_stream()
    {
        var diagnostics = GeneratorHarness.GeneratorDiagnostics(Usings + Chat + " public partial class C { public EchoReply Upload(EchoRequest request) => new(); " + Converse + " }");
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("SERVE0007", diagnostic.Id);
        Assert.Equal(
            "Method 'Upload' binds to client-streaming RPC 'Upload' but takes a single request message 'Serve.Tests.Protos.EchoRequest'; it must take the request stream 'System.Collections.Generic.IAsyncEnumerable<Serve.Tests.Protos.EchoRequest>' as its first parameter",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));

        var missing = GeneratorHarness.GeneratorDiagnostics(Usings + Chat + " public partial class C { }")
            .Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Contains(missing, m => m.Contains("'public Serve.Tests.Protos.EchoReply Upload(System.Collections.Generic.IAsyncEnumerable<Serve.Tests.Protos.EchoRequest> requests)'", StringComparison.Ordinal));
        Assert.Contains(missing, m => m.Contains("'public System.Collections.Generic.IAsyncEnumerable<Serve.Tests.Protos.EchoReply> Converse(System.Collections.Generic.IAsyncEnumerable<Serve.Tests.Protos.EchoRequest> requests)'", StringComparison.Ordinal));
    }

    [Fact]
    public void Retired_SERVE0011_is_never_reported_streaming_requests_bind()
    {
        var diagnostics = GeneratorHarness.GeneratorDiagnostics(Usings + Chat + " public partial class C { }");
        Assert.DoesNotContain(diagnostics, d => d.Id == "SERVE0011");
        Assert.Equal(new[] { "SERVE0003", "SERVE0003" }, diagnostics.Select(d => d.Id));
        Assert.Empty(GeneratorHarness.GeneratorDiagnostics(Usings + Chat + " public partial class C { " + Upload + " " + Converse + " }"));
    }

    [Fact]
    public void Context_first_message_says_the_request_comes_first()
    {
        var diagnostic = Assert.Single(GeneratorHarness.GeneratorDiagnostics(Usings + Classifier + " public partial class C { public ImageClass Predict(CancellationToken t, ImageData d) => new(); }"));
        Assert.Equal("SERVE0018", diagnostic.Id);
        Assert.Equal(
            "Method 'Predict' binds to RPC 'Predict', but its first parameter 't' is a 'System.Threading.CancellationToken'; the request message 'Userdefinedprotos.ImageData' must come first, and ServeRequestContext, GrpcContext and CancellationToken parameters after it",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Invalid_loader_message_shows_the_expected_signature_and_the_accessor_is_still_emitted()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(Usings + """
            [Deployment] public partial class C
            {
                [Multiplexed] public Task<string> Load(int id) => Task.FromResult("");
                public ValueTask<string> Current() => GetMultiplexedModelAsync();
            }
            """));
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("SERVE0020", diagnostic.Id);
        Assert.Equal(
            "[Multiplexed] method 'Load' takes (int); a model loader is an instance method like 'Task<string> Load(string modelId, CancellationToken cancellationToken)' (the CancellationToken parameter is optional) returning the model as TModel, Task<TModel> or ValueTask<TModel>",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Errors_still_emit_Bind_so_the_rest_compiles()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(Usings + Classifier + """
             public partial class C { public ImageData Predict(ImageData d) => d; }
            [Deployment] public partial class Ambiguous { public Ambiguous(int a) { } public Ambiguous(string b) { } }
            public static class Apps
            {
                [ApplicationBuilder] public static Application A => C.Bind();
                [ApplicationBuilder] public static Application B => Ambiguous.Bind(1);
            }
            """));
        Assert.Contains(diagnostics, d => d.Id == "SERVE0006");
        Assert.Contains(diagnostics, d => d.Id == "SERVE0013");
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Every_descriptor_can_be_reported()
    {
        // Reporting looks a descriptor up by id: one missing from the index makes the generator fail instead.
        var descriptors = typeof(DiagnosticDescriptors).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
        Assert.Contains(descriptors, d => d.Id == "SERVE0043");
        Assert.All(descriptors, d => Assert.Same(d, DiagnosticDescriptors.ById(d.Id)));
    }

    [Fact]
    public void Unreadable_descriptor_is_reported_and_ignored()
    {
        var bad = GeneratorHarness.Run(GeneratorHarness.Compile(("Bad.cs", TestSources.ReflectionClass("BadReflection", "!!not base64!!"))));
        var diagnostic = Assert.Single(bad.GeneratorDiagnostics);
        Assert.Equal("SERVE0015", diagnostic.Id);
        Assert.Equal("BadReflection", TextAt(TestSources.ReflectionClass("BadReflection", "!!not base64!!"), diagnostic));

        var truncated = Convert.ToBase64String(new byte[] { 0x0A, 0x10, 0x61 });
        Assert.Equal("SERVE0015", Assert.Single(GeneratorHarness.Run(GeneratorHarness.Compile(("Bad.cs", TestSources.ReflectionClass("BadReflection", truncated)))).GeneratorDiagnostics).Id);

        var good = GeneratorHarness.Run(GeneratorHarness.Compile(("Good.cs", TestSources.ReflectionClass("GoodReflection", ""))));
        Assert.Empty(good.GeneratorDiagnostics);
    }

    [Fact]
    public void Message_types_from_outside_the_compilation_are_reported()
    {
        var file = new FileDescriptorProto
        {
            Name = "ext.proto",
            Package = "ext",
            Dependency = { "other.proto" },
            Service =
            {
                new ServiceDescriptorProto
                {
                    Name = "Ext",
                    Method = { new MethodDescriptorProto { Name = "Call", InputType = ".other.Req", OutputType = ".other.Resp" } },
                },
            },
        };
        var reflection = TestSources.ReflectionClass("ExtReflection", file.ToByteString().ToBase64());
        var bad = GeneratorHarness.Run(GeneratorHarness.Compile(("Ext.cs", reflection), ("Deployment.cs", Usings + """[Deployment, GrpcService("ext.Ext")] public partial class C { }""")));
        var diagnostic = Assert.Single(bad.GeneratorDiagnostics);
        Assert.Equal("SERVE0016", diagnostic.Id);
        Assert.Equal("\"ext.Ext\"", TextAt(Usings + """[Deployment, GrpcService("ext.Ext")] public partial class C { }""", diagnostic));

        var good = GeneratorHarness.Run(GeneratorHarness.Compile(("Ext.cs", reflection), ("Deployment.cs", Usings.Replace("using Userdefinedprotos;", "", StringComparison.Ordinal).Replace("using Serve.Tests.Protos;", "", StringComparison.Ordinal) + "[Deployment] public partial class C { }")));
        Assert.Empty(good.GeneratorDiagnostics);
        Assert.Empty(good.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    private static string TextAt(string source, Diagnostic diagnostic)
    {
        var span = diagnostic.Location.SourceSpan;
        return span.End <= source.Length ? source.Substring(span.Start, span.Length) : "";
    }
}
