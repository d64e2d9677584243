using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Serve.Generators.Tests;

/// <summary>
/// Generator warnings point into the user's source, so the usual ways of silencing a warning work on them:
/// <c>#pragma warning disable</c>, <c>[SuppressMessage]</c> and <c>.editorconfig</c> severities (not only NoWarn).
/// SERVE0033 (a warning, reported on a method) stands for all of them.
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

    [Fact]
    public void SuppressMessage_on_the_method_or_the_class_silences_it()
    {
        AssertSilenced(Usings + """
            [Deployment] public partial class C
            {
                [SuppressMessage("Serve", "SERVE0033:Method cannot be called through a handle", Justification = "Called by the replica only")]
                public int Timeout(int seconds) => seconds;
            }
            """);
        AssertSilenced(Usings + """
            [Deployment, SuppressMessage("Serve", "SERVE0033", Justification = "Called by the replica only")]
            public partial class C { public int Timeout(int seconds) => seconds; }
            """);
        AssertReported(Usings + """
            [Deployment, SuppressMessage("Serve", "SERVE0017", Justification = "Another id")]
            public partial class C { public int Timeout(int seconds) => seconds; }
            """);
    }

    [Fact]
    public void Editorconfig_severity_none_silences_it_and_error_raises_it()
    {
        const string Path = "/src/Deployment.cs";
        var none = Run(Usings + Deployment, Path, "root = true\n\n[*.cs]\ndotnet_diagnostic.SERVE0033.severity = none\n");
        Assert.DoesNotContain(none, d => d.Id == "SERVE0033" && !d.IsSuppressed);

        var error = Assert.Single(Run(Usings + Deployment, Path, "root = true\n\n[*.cs]\ndotnet_diagnostic.SERVE0033.severity = error\n"));
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);

        // A section for other files leaves it a warning.
        var other = Assert.Single(Run(Usings + Deployment, Path, "root = true\n\n[*.proto]\ndotnet_diagnostic.SERVE0033.severity = none\n"));
        Assert.Equal(DiagnosticSeverity.Warning, other.Severity);
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

    /// <summary>
    /// Runs the generator on a compilation whose per-file severities come from an .editorconfig, as the compiler
    /// builds them from the project's .editorconfig files.
    /// </summary>
    private static ImmutableArray<Diagnostic> Run(string source, string path, string editorconfig)
    {
        var config = AnalyzerConfig.Parse(editorconfig, "/src/.editorconfig");
        var set = AnalyzerConfigSet.Create(ImmutableArray.Create(config));
        var compilation = GeneratorHarness.CompileWithProtos(source, path);
        compilation = compilation.WithOptions(compilation.Options.WithSyntaxTreeOptionsProvider(new EditorConfigTreeOptions(set)));
        return GeneratorHarness.Run(compilation).GeneratorDiagnostics;
    }

    /// <summary>Per-tree severities read from an <see cref="AnalyzerConfigSet"/>.</summary>
    private sealed class EditorConfigTreeOptions(AnalyzerConfigSet set) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => set.GetOptionsForSourcePath(tree.FilePath).TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => set.GlobalConfigOptions.TreeOptions.TryGetValue(diagnosticId, out severity);
    }
}
