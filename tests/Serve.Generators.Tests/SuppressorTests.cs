using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Serve.Generators.Tests;

/// <summary>
/// CA1822 ("mark members as static") on a method Serve binds is suppressed (SERVESP0001): following it would unbind
/// the method. Run with the real CA1822 analyzer, from the .NET SDK's code analysis rules.
/// </summary>
public class SuppressorTests
{
    private const string Source = """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using Serve;
        using Serve.Http;
        using Userdefinedprotos;

        namespace D;

        [Deployment, GrpcService("userdefinedprotos.ImageClassificationService")]
        internal sealed partial class Classifier
        {
            public ImageClass Predict(ImageData data) => new() { Classes = { "cat" } };

            [Multiplexed] public Task<string> LoadModel(string id) => Task.FromResult(id);

            [Batch] public int[] Score(IReadOnlyList<int> items) => [.. items];

            [HttpGet("/health")] public string Health() => "ok";

            public int Helper(int x) => x + 1;
        }

        internal sealed class NotADeployment
        {
            public ImageClass Predict(ImageData data) => new();
        }
        """;

    [Fact]
    public void CA1822_is_suppressed_on_bound_methods_only()
    {
        var (_, output, generatorDiagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(Source));
        Assert.Empty(generatorDiagnostics);
        var diagnostics = Analyze(output);

        string Where(Diagnostic d) => d.Location.SourceTree!.FilePath + ":" + d.Location.SourceTree.GetText().ToString(d.Location.SourceSpan);
        var ca1822 = diagnostics.Where(d => d.Id == "CA1822" && d.Location.SourceTree?.FilePath == "Deployment.cs").ToList();
        Assert.Equal(
            new[] { "Deployment.cs:Health", "Deployment.cs:LoadModel", "Deployment.cs:Predict", "Deployment.cs:Score" },
            ca1822.Where(d => d.IsSuppressed).Select(Where).Order(StringComparer.Ordinal));
        // A helper of the deployment, and a method of another class with an RPC's name, keep the advice.
        Assert.Equal(
            new[] { "Deployment.cs:Helper", "Deployment.cs:Predict" },
            ca1822.Where(d => !d.IsSuppressed).Select(Where).Order(StringComparer.Ordinal));
        Assert.Contains(ca1822.Where(d => !d.IsSuppressed), d => d.Location.SourceSpan.Start > Source.IndexOf("NotADeployment", StringComparison.Ordinal));

        // Without the suppressor, CA1822 stands on every one of them.
        Assert.Equal(6, Analyze(output, withSuppressor: false).Count(d => d.Id == "CA1822" && !d.IsSuppressed && d.Location.SourceTree?.FilePath == "Deployment.cs"));
    }

    [Fact]
    public void The_suppressor_is_in_the_generator_assembly_and_suppresses_CA1822()
    {
        var suppressor = typeof(ServeGenerator).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticSuppressor).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is { } a && a.Languages.Contains(LanguageNames.CSharp))
            .Select(t => (DiagnosticSuppressor)Activator.CreateInstance(t)!)
            .Single();
        var descriptor = Assert.Single(suppressor.SupportedSuppressions);
        Assert.Equal(("SERVESP0001", "CA1822"), (descriptor.Id, descriptor.SuppressedDiagnosticId));
    }

    private static ImmutableArray<Diagnostic> Analyze(Compilation compilation, bool withSuppressor = true)
    {
        var analyzers = withSuppressor ? s_markMembersAsStatic.Value.Add(new ServeDiagnosticSuppressor()) : s_markMembersAsStatic.Value;
        // CA1822 is a suggestion by default; as a warning it is reported like in a project that raises it.
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            compilation.Options.SpecificDiagnosticOptions.SetItem("CA1822", ReportDiagnostic.Warn)));
        var withAnalyzers = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: true));
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics;
    }

    /// <summary>The CA1822 analyzer of the SDK that runs these tests (the one a build of a user's project runs).</summary>
    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> s_markMembersAsStatic = new(() =>
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var analyzersDirectory = Directory.GetDirectories(Path.Combine(dotnetRoot, "sdk"))
            .Select(sdk => Path.Combine(sdk, "Sdks", "Microsoft.NET.Sdk", "analyzers"))
            .Where(Directory.Exists)
            .OrderBy(d => d, StringComparer.Ordinal)
            .LastOrDefault() ?? throw new InvalidOperationException("No SDK with code analysis rules under " + dotnetRoot);
        var loader = new Loader();
        var analyzers = new[] { "Microsoft.CodeAnalysis.NetAnalyzers.dll", "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll" }
            .SelectMany(name => new AnalyzerFileReference(Path.Combine(analyzersDirectory, name), loader).GetAnalyzers(LanguageNames.CSharp))
            .Where(a => a.SupportedDiagnostics.Any(d => d.Id == "CA1822"))
            .ToImmutableArray();
        Assert.False(analyzers.IsEmpty, "No CA1822 analyzer in " + analyzersDirectory);
        return analyzers;
    });

    private sealed class Loader : IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public Assembly LoadFromPath(string fullPath) => Assembly.LoadFrom(fullPath);
    }
}
