using Microsoft.CodeAnalysis;

namespace Serve.Generators.Tests;

/// <summary>
/// Generator warnings point into the user's source, so the usual ways of silencing a warning work on them:
/// <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> and <c>.editorconfig</c> severities (not only NoWarn).
/// SERVE0033 (a warning, reported on a method) stands for all of them. <see cref="MarkupDiagnosticTests"/> shows each
/// way in a project set up as a build; here, with the bare driver, that the warning is suppressed rather than lost.
/// </summary>
public class SuppressionTests
{
    private const string Usings = "using System.Diagnostics.CodeAnalysis;\nusing Serve;\n\nnamespace D;\n\n";

    private const string Deployment = "[Deployment] public partial class C { public int Timeout(int seconds) => seconds; }";

    [Fact]
    public void The_warning_points_into_the_compilations_syntax_tree()
    {
        var compilation = GeneratorHarness.CompileWithProtos(Usings + Deployment);
        var diagnostic = Assert.Single(GeneratorHarness.Run(compilation).GeneratorDiagnostics);
        Assert.Equal("SERVE0033", diagnostic.Id);
        Assert.False(diagnostic.IsSuppressed);
        Assert.True(diagnostic.Location.IsInSource);
        Assert.Same(compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs"), diagnostic.Location.SourceTree);
        Assert.Equal("Timeout", diagnostic.Location.SourceTree!.GetText().ToString(diagnostic.Location.SourceSpan));
    }

    [Fact]
    public void Pragma_warning_disable_silences_it()
    {
        AssertSilenced(Usings + """
            [Deployment] public partial class C
            {
            #pragma warning disable SERVE0033 // the handle's Timeout is what callers want
                public int Timeout(int seconds) => seconds;
            #pragma warning restore SERVE0033
            }
            """);
        // Only where it is disabled.
        AssertReported(Usings + """
            [Deployment] public partial class C
            {
            #pragma warning disable SERVE0033
            #pragma warning restore SERVE0033
                public int Timeout(int seconds) => seconds;
            }
            """);
    }

    private static void AssertSilenced(string source)
    {
        var diagnostics = GeneratorHarness.GeneratorDiagnostics(source);
        Assert.DoesNotContain(diagnostics, d => !d.IsSuppressed);
        // Suppressed, not lost: the generator still found the problem.
        Assert.Contains(diagnostics, d => d.Id == "SERVE0033" && d.IsSuppressed);
    }

    private static void AssertReported(string source)
        => Assert.Contains(GeneratorHarness.GeneratorDiagnostics(source), d => d.Id == "SERVE0033" && !d.IsSuppressed);
}
