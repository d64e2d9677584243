using Microsoft.CodeAnalysis;

namespace Serve.Generators.Tests;

public class SnapshotTests
{
    [Theory]
    [InlineData("Quickstart.GrpcDeployment.Serve.g.cs")]
    [InlineData("Quickstart.Classifier.Serve.g.cs")]
    [InlineData("Serve.ModuleRegistry.g.cs")]
    public void Quickstart_output_matches_snapshot(string hintName)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Quickstart));
        Assert.Empty(diagnostics);
        Snapshot.Match(hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }

    [Theory]
    [InlineData("Behaviour.Tests.Outer.EchoDeployment.Serve.g.cs")]
    [InlineData("Behaviour.Tests.ListEcho.Serve.g.cs")]
    [InlineData("Behaviour.Tests.PlainDeployment.Serve.g.cs")]
    public void Echo_output_matches_snapshot(string hintName)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Echo));
        Assert.Empty(diagnostics);
        Snapshot.Match(hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }

    [Theory]
    [InlineData("Streaming.Tests.ChatDeployment.Serve.g.cs")]
    [InlineData("Streaming.Tests.SyncChat.Serve.g.cs")]
    public void Streaming_output_matches_snapshot(string hintName)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Streaming));
        Assert.Empty(diagnostics);
        Snapshot.Match(hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }

    [Theory]
    [InlineData("Composition.Tests.Downloader.Serve.g.cs")]
    [InlineData("Composition.Tests.Preprocessor.Serve.g.cs")]
    [InlineData("Composition.Tests.Classifier.Serve.g.cs")]
    [InlineData("Composition.Tests.Outer.Nested.Serve.g.cs")]
    [InlineData("Composition.Tests.Ensemble.Serve.g.cs")]
    [InlineData("Serve.ModuleRegistry.g.cs", "Composition.ModuleRegistry")]
    public void Composition_output_matches_snapshot(string hintName, string? snapshot = null)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.Compile(("Composition.cs", TestSources.Composition)));
        Assert.Empty(diagnostics);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Snapshot.Match(snapshot ?? hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }

    [Fact]
    public void Generated_code_has_no_warnings_with_documentation_diagnostics_on()
    {
        var options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var compilation = GeneratorHarness.Compile(
            ("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Shapes.cs", GeneratorHarness.ShapesProtos),
            ("Streaming.cs", TestSources.Streaming), ("Echo.cs", TestSources.Echo), ("Quickstart.cs", TestSources.Quickstart),
            ("Composition.cs", TestSources.Composition), ("Driver.cs", TestSources.CompositionDriver));
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(), options)));
        var driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create(new[] { new ServeGenerator().AsSourceGenerator() }, parseOptions: options);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        var generated = output.SyntaxTrees.Except(compilation.SyntaxTrees).ToHashSet();
        Assert.NotEmpty(generated);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}
