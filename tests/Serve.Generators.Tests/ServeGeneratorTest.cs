using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace Serve.Generators.Tests;

/// <summary>
/// The Roslyn source generator test for Serve's diagnostics, in markup style: <c>{|SERVE0003:C|}</c> marks where a
/// diagnostic is expected, and every reported diagnostic must be marked (compiler errors included). Generated
/// sources are not compared here; the snapshot tests do that.
/// </summary>
internal sealed class ServeGeneratorTest : CSharpSourceGeneratorTest<ServeGenerator, DefaultVerifier>
{
    public ServeGeneratorTest(string source, bool withProtos = true, bool withAspNetCore = false)
    {
        // The references the other generator tests use (the running framework), so nothing is downloaded.
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        TestState.AdditionalReferences.AddRange(withAspNetCore ? GeneratorHarness.ReferencesWithAspNetCore : GeneratorHarness.References);
        if (withProtos)
        {
            TestState.Sources.Add(("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos));
            TestState.Sources.Add(("Shapes.cs", GeneratorHarness.ShapesProtos));
        }
        TestState.Sources.Add(("/src/Deployment.cs", source));
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
    }

    /// <summary>Runs the generator and checks the diagnostics against the markup and <see cref="AnalyzerTest{TVerifier}.ExpectedDiagnostics"/>.</summary>
    public static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new ServeGeneratorTest(source);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>A diagnostic of the generator, by id (use with <c>{|#0:...|}</c> markup and <c>.WithLocation(0)</c>).</summary>
    public static DiagnosticResult Diagnostic(string id) => DiagnosticResult.CompilerError(id);

    protected override ParseOptions CreateParseOptions()
        => ((CSharpParseOptions)base.CreateParseOptions()).WithLanguageVersion(LanguageVersion.Latest);

    protected override CompilationOptions CreateCompilationOptions()
        => ((CSharpCompilationOptions)base.CreateCompilationOptions()).WithNullableContextOptions(NullableContextOptions.Enable);
}
