using Microsoft.CodeAnalysis;

namespace Serve.Generators.Tests;

public class HttpSnapshotTests
{
    [Theory]
    [InlineData("HttpTests.Classifier.Serve.g.cs")]
    [InlineData("HttpTests.Router.Serve.g.cs")]
    [InlineData("HttpTests.Both.Serve.g.cs")]
    public void Http_output_matches_snapshot(string hintName)
    {
        var (result, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Http), withJson: true);
        Assert.Empty(diagnostics);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Snapshot.Match(hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }

    [Fact]
    public void Generated_http_code_has_no_warnings_with_documentation_diagnostics_on()
    {
        var options = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Http);
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(), options)));
        var (_, output, diagnostics) = GeneratorHarness.Run(compilation, withJson: true);
        Assert.Empty(diagnostics);
        var generated = output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".Serve.g.cs", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(3, generated.Count);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree)).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Output_is_deterministic()
    {
        var first = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Http)).Result;
        var second = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Http)).Result;
        Assert.Equal(
            first.Results.Single().GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText),
            second.Results.Single().GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText));
    }
}
