using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using static Serve.Generators.Tests.ServeGeneratorTest;

namespace Serve.Generators.Tests;

/// <summary>
/// Diagnostics in markup style (<c>{|SERVE0003:Straeming|}</c>): where each is reported, with which message, and that
/// nothing else is reported, compiler errors included. Also how users silence warnings: #pragma, [SuppressMessage]
/// and .editorconfig, through the same project set-up as a build.
/// </summary>
public class MarkupDiagnosticTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Diagnostics.CodeAnalysis;
        using System.Threading;
        using System.Threading.Tasks;
        using Serve;
        using Userdefinedprotos;

        namespace D;

        """;

    private const string Classifier = """[Deployment, GrpcService("userdefinedprotos.ImageClassificationService")]""";

    private const string UserDefined = """[Deployment, GrpcService("userdefinedprotos.UserDefinedService")]""";

    [Fact]
    public Task SERVE0003_is_reported_on_the_class_with_the_signature_to_write()
        => VerifyAsync(Usings + UserDefined + """
             public partial class {|#0:C|}
            {
                [GrpcMethod("__call__")] public UserDefinedResponse Streamin(UserDefinedMessage m) => new();
                public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 m) => new();
                public IEnumerable<UserDefinedResponse> Stream(UserDefinedMessage m) { yield break; }
            }
            """,
            // 'Stream' is three edits from 'Streaming'; 'Streamin' is one, but it is bound with [GrpcMethod], so no misspelling.
            Diagnostic("SERVE0003").WithLocation(0).WithMessage(
                "Deployment 'C' serves 'userdefinedprotos.UserDefinedService' but has no method for RPC 'Streaming'; add 'public System.Collections.Generic.IAsyncEnumerable<Userdefinedprotos.UserDefinedResponse> Streaming(Userdefinedprotos.UserDefinedMessage request)' (or bind a method with another name with [GrpcMethod(\"Streaming\")])"));

    [Fact]
    public Task SERVE0003_shows_the_signature_of_each_missing_method()
        => VerifyAsync(Usings + UserDefined + """
             public partial class {|#0:C|}
            {
                public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 m) => new();
            }
            """,
            Diagnostic("SERVE0003").WithLocation(0).WithMessage(
                "Deployment 'C' serves 'userdefinedprotos.UserDefinedService' but has no method for RPC '__call__'; add 'public Userdefinedprotos.UserDefinedResponse __call__(Userdefinedprotos.UserDefinedMessage request)' (or bind a method with another name with [GrpcMethod(\"__call__\")])"),
            Diagnostic("SERVE0003").WithLocation(0).WithMessage(
                "Deployment 'C' serves 'userdefinedprotos.UserDefinedService' but has no method for RPC 'Streaming'; add 'public System.Collections.Generic.IAsyncEnumerable<Userdefinedprotos.UserDefinedResponse> Streaming(Userdefinedprotos.UserDefinedMessage request)' (or bind a method with another name with [GrpcMethod(\"Streaming\")])"));

    [Fact]
    public Task SERVE0002_and_SERVE0004_ask_did_you_mean_for_case_differences()
        => VerifyAsync(Usings + """
            [Deployment, GrpcService({|#0:"userdefinedprotos.userdefinedservice"|})] public partial class C { }
            """ + Classifier + " public partial class E { public ImageClass {|#1:PREDICT|}(ImageData d) => new(); }",
            Diagnostic("SERVE0002").WithLocation(0).WithMessage(
                "[GrpcService(\"userdefinedprotos.userdefinedservice\")] names a service that no .proto file of this compilation defines; did you mean 'userdefinedprotos.UserDefinedService'?"),
            Diagnostic("SERVE0004").WithLocation(1).WithMessage(
                "Method 'PREDICT' does not bind to any RPC: RPC names are case-sensitive; did you mean 'Predict'? Rename the method or add [GrpcMethod(\"Predict\")]."));

    [Fact]
    public Task SERVE0003_is_reported_on_a_misspelled_method()
        => VerifyAsync(Usings + UserDefined + """
             public partial class C
            {
                [GrpcMethod("__call__")] public UserDefinedResponse Call(UserDefinedMessage m) => new();
                public UserDefinedResponse2 Multiplexing(UserDefinedMessage2 m) => new();
                public IEnumerable<UserDefinedResponse> {|#0:Straeming|}(UserDefinedMessage m) { yield break; }
            }
            """,
            // Two letters swapped: one edit.
            Diagnostic("SERVE0003").WithLocation(0).WithMessage(
                "Deployment 'C' serves 'userdefinedprotos.UserDefinedService' but has no method for RPC 'Streaming'; did you mean 'Streaming' for method 'Straeming'? Rename the method or add [GrpcMethod(\"Streaming\")] to it"));

    [Fact]
    public Task SERVE0003_and_SERVE0004_mark_the_methods_meant()
        => VerifyAsync(Usings + UserDefined + """
             public partial class C
            {
                public UserDefinedResponse {|SERVE0003:__cal__|}(UserDefinedMessage m) => new();
                public UserDefinedResponse2 {|SERVE0004:multiplexing|}(UserDefinedMessage2 m) => new();
                public IEnumerable<UserDefinedResponse> Streaming(UserDefinedMessage m) { yield break; }
            }
            """);

    [Fact]
    public Task SERVE0002_lists_the_nearest_few_of_many_services()
    {
        var file = new FileDescriptorProto { Name = "many.proto", Package = "many" };
        file.Service.AddRange(new[] { "Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Iota" }.Select(n => new ServiceDescriptorProto { Name = n }));
        var test = new ServeGeneratorTest("""
            using Serve;
            namespace D;
            [Deployment, GrpcService({|#0:"many.Gama"|})] public partial class C { }
            [Deployment, GrpcService({|#1:"Theta"|})] public partial class E { }
            """, withProtos: false);
        test.TestState.Sources.Add(("Many.cs", TestSources.ReflectionClass("ManyReflection", file.ToByteString().ToBase64())));
        test.ExpectedDiagnostics.Add(Diagnostic("SERVE0002").WithLocation(0).WithMessage(
            "[GrpcService(\"many.Gama\")] names a service that no .proto file of this compilation defines (nearest known services: many.Gamma, many.Beta, many.Eta, many.Iota, many.Zeta; and 4 others)"));
        // A short-name or case-only match is a "did you mean".
        test.ExpectedDiagnostics.Add(Diagnostic("SERVE0002").WithLocation(1).WithMessage(
            "[GrpcService(\"Theta\")] names a service that no .proto file of this compilation defines; did you mean 'many.Theta'?"));
        return test.RunAsync();
    }

    [Fact]
    public Task SERVE0009_names_overloads_with_their_parameter_types()
        => VerifyAsync(Usings + Classifier + """
             public partial class C
            {
                public ImageClass Predict(ImageData d) => new();
                public ImageClass {|#0:Predict|}(ImageData d, CancellationToken t) => new();
            }
            """,
            Diagnostic("SERVE0009").WithLocation(0).WithMessage(
                "Methods 'Predict(ImageData)' and 'Predict(ImageData, CancellationToken)' both bind to RPC 'Predict'; keep one, or bind the other elsewhere with [GrpcMethod]"));

    [Fact]
    public Task SERVE0010_lists_the_rpcs_of_the_served_services()
        => VerifyAsync(Usings + Classifier + """
             public partial class C
            {
                public ImageClass Predict(ImageData d) => new();
                [GrpcMethod({|#0:"Predikt"|})] public ImageClass Classify(ImageData d) => new();
            }
            [Deployment] public partial class E { [GrpcMethod({|#1:"Predict"|})] public ImageClass Classify(ImageData d) => new(); }
            """,
            Diagnostic("SERVE0010").WithLocation(0).WithMessage(
                "[GrpcMethod(\"Predikt\")] on method 'Classify' names no RPC of the services deployment 'C' serves (userdefinedprotos.ImageClassificationService: Predict); did you mean 'Predict'?"),
            Diagnostic("SERVE0010").WithLocation(1).WithMessage(
                "[GrpcMethod(\"Predict\")] on method 'Classify' names no RPC of the services deployment 'E' serves (it serves none; name one with [GrpcService(\"package.Service\")])"));

    [Fact]
    public Task SERVE0013_says_which_constructor_to_keep_or_make_public()
        => VerifyAsync(Usings + """
            [Deployment] public partial class {|#0:Two|} { public Two() { } public Two(int x, string? name) { } }
            [Deployment] public partial class {|#1:None|} { private None() { } }
            """,
            Diagnostic("SERVE0013").WithLocation(0).WithMessage(
                "Deployment class 'D.Two' has 2 public constructors (Two(), Two(int, string?)); Bind(...) and replicas use its single public constructor, so keep the one replicas should call public and make the others internal or private"),
            Diagnostic("SERVE0013").WithLocation(1).WithMessage(
                "Deployment class 'D.None' has no public constructor; Bind(...) and replicas use its single public constructor, so make one of its constructors public"));

    [Fact]
    public Task SERVE0040_marks_every_deployment_of_a_shared_name()
        => VerifyAsync("""
            using Serve;
            namespace V1 { [Deployment] public partial class {|#0:Classifier|} { } }
            namespace V2 { [Deployment] public partial class {|#1:Classifier|} { } }
            namespace V3
            {
                [Deployment({|#2:Name = "Classifier"|})] public partial class Ranker { }
                [Deployment(Name = "Ranker")] public partial class Other { }
                [Deployment] public partial class Split { }
                public partial class Split { }
            }
            """,
            Warning(0, "V1.Classifier", "'V2.Classifier' and 'V3.Ranker'"),
            Warning(1, "V2.Classifier", "'V1.Classifier' and 'V3.Ranker'"),
            Warning(2, "V3.Ranker", "'V1.Classifier' and 'V2.Classifier'"));

    // The framework leaves suppressed diagnostics out of what it compares: a silenced warning is simply not expected.
    [Fact]
    public Task Pragma_warning_disable_silences_a_generator_warning()
        => VerifyAsync(Usings + """
            [Deployment] public partial class C
            {
            #pragma warning disable SERVE0033 // the handle's Timeout is what callers want
                public int Timeout(int seconds) => seconds;
            #pragma warning restore SERVE0033
                public string {|#0:Options|}(string model) => model;
            }
            """,
            DiagnosticResult.CompilerWarning("SERVE0033").WithLocation(0));

    [Fact]
    public Task SuppressMessage_on_the_method_or_the_class_silences_a_generator_warning()
        => VerifyAsync(Usings + """
            [Deployment] public partial class C
            {
                [SuppressMessage("Serve", "SERVE0033:Method cannot be called through a handle", Justification = "Called by the replica only")]
                public int Timeout(int seconds) => seconds;
                public string {|#0:Options|}(string model) => model;
            }
            [Deployment, SuppressMessage("Serve", "SERVE0033", Justification = "Called by the replica only")]
            public partial class E { public int Timeout(int seconds) => seconds; }
            """,
            DiagnosticResult.CompilerWarning("SERVE0033").WithLocation(0));

    [Theory]
    [InlineData("none", null)]
    [InlineData("error", DiagnosticSeverity.Error)]
    [InlineData("suggestion", DiagnosticSeverity.Info)]
    public Task Editorconfig_sets_the_severity_of_a_generator_warning(string severity, DiagnosticSeverity? reported)
    {
        var test = new ServeGeneratorTest(Usings + "[Deployment] public partial class C { public int {|#0:Timeout|}(int seconds) => seconds; }");
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.SERVE0033.severity = " + severity + "\n"));
        if (reported is { } value)
        {
            test.ExpectedDiagnostics.Add(new DiagnosticResult("SERVE0033", value).WithLocation(0));
        }
        return test.RunAsync();
    }

    private static DiagnosticResult Warning(int location, string deployment, string namesakes)
        => DiagnosticResult.CompilerWarning("SERVE0040").WithLocation(location).WithMessage(
            "Deployment '" + deployment + "' is named 'Classifier', like " + namesakes + "; bound in one application, one of them is renamed 'Classifier_1' at run time, so configuration and lookups by name can reach the other; give each a distinct name with [Deployment(Name = \"...\")]");
}
