using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Serve.Generators.Tests;

/// <summary>
/// An edit that changes no declaration (typing in a method body) must not read again the deployments of the other
/// files; any edit that may change what a deployment's symbols say, or where its locations point, must. Whatever is
/// reused, the output must be what a run on fresh copies of the files gives.
/// </summary>
public class DeploymentCacheTests
{
    private const string First = """
        using Serve;
        namespace Cache.Tests;

        [Deployment(NumReplicas = Settings.Replicas)]
        public partial class First
        {
            public int Add(int value)
            {
                var result = value + 1;
                return result;
            }
        }
        """;

    private const string Second = """
        using Serve;
        namespace Cache.Tests;

        [Deployment]
        public partial class Second : Base
        {
            public string Echo(Dto dto) => dto.Name;
        }
        """;

    private const string Base = """
        namespace Cache.Tests;

        public class Base
        {
            public int Helper()
            {
                return 1;
            }

            // DeploymentHandle<T> has a Timeout member, which hides a handle method of this name (SERVE0033).
            public int Timeout() => 2;
        }
        """;

    private const string Shared = """
        namespace Cache.Tests;

        public static class Settings
        {
            public const int Replicas = 2;

            public static int Work()
            {
                return 3;
            }
        }

        public class Dto
        {
            public string Name { get; set; } = "";
        }
        """;

    private static Compilation Compile(string first = First, string second = Second, string @base = Base, string shared = Shared)
        => GeneratorHarness.Compile(("First.cs", first), ("Second.cs", second), ("Base.cs", @base), ("Shared.cs", shared));

    /// <summary>Replaces one file of <paramref name="compilation"/>, as an editor does: the other trees stay the same objects.</summary>
    private static Compilation Edit(Compilation compilation, string path, string text)
        => compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(t => t.FilePath == path), CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path));

    /// <summary>
    /// Runs the generator on <paramref name="before"/> and then <paramref name="after"/>, as an IDE does after an edit;
    /// says, before the second run, whether the models read in the first would be reused for each class named.
    /// </summary>
    private static (GeneratorDriverRunResult After, Dictionary<string, bool> Reused) Run(Compilation before, Compilation after, params string[] classNames)
    {
        var driver = GeneratorHarness.CreateDriver().RunGenerators(before);
        var reused = classNames.ToDictionary(name => name, name => DeploymentCache.Find(Declaration(after, name), after, CancellationToken.None) is not null);
        return (driver.RunGenerators(after).GetRunResult(), reused);
    }

    private static SyntaxNode Declaration(Compilation compilation, string className)
        => compilation.SyntaxTrees.SelectMany(t => t.GetRoot().DescendantNodes()).OfType<ClassDeclarationSyntax>().Single(c => c.Identifier.ValueText == className);

    /// <summary>What a fresh run on newly parsed copies of the files generates and reports: no cache entry applies to them.</summary>
    private static void AssertSameAsFreshRun(GeneratorDriverRunResult incremental, Compilation compilation)
    {
        var copy = GeneratorHarness.Compile(compilation.SyntaxTrees.Select(t => (t.FilePath, t.GetText().ToString())).ToArray());
        var fresh = GeneratorHarness.CreateDriver().RunGenerators(copy).GetRunResult();
        Assert.Equal(
            fresh.Results.Single().GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText),
            incremental.Results.Single().GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText));
        Assert.Equal(fresh.Diagnostics.Select(Describe), incremental.Diagnostics.Select(Describe));
    }

    private static string Describe(Diagnostic diagnostic)
        => diagnostic.Id + " " + diagnostic.Location.GetLineSpan() + " " + diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_body_edit_reads_again_only_the_deployments_of_the_edited_file()
    {
        var compilation = Compile();
        var updated = Edit(compilation, "First.cs", First.Replace("value + 1", "value + 2", StringComparison.Ordinal));
        var (after, reused) = Run(compilation, updated, "First", "Second");

        Assert.False(reused["First"]);
        Assert.True(reused["Second"]);
        Assert.All(after.Results.Single().TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        AssertSameAsFreshRun(after, updated);
    }

    [Fact]
    public void A_body_edit_in_a_file_that_declares_nothing_of_a_deployment_reuses_every_deployment()
    {
        var compilation = Compile();
        var (_, reused) = Run(compilation, Edit(compilation, "Shared.cs", Shared.Replace("return 3;", "return 4;", StringComparison.Ordinal)), "First", "Second");
        Assert.True(reused["First"]);
        Assert.True(reused["Second"]);
    }

    [Fact]
    public void A_declaration_edit_in_another_file_reads_every_deployment_again()
    {
        var compilation = Compile();
        var updated = Edit(compilation, "Shared.cs", Shared.Replace("public string Name", "public string? Name", StringComparison.Ordinal));
        var (after, reused) = Run(compilation, updated, "First", "Second");
        Assert.False(reused["First"]);
        Assert.False(reused["Second"]);
        AssertSameAsFreshRun(after, updated);
    }

    [Fact]
    public void A_constant_changed_in_another_file_reaches_the_deployment_that_uses_it()
    {
        var compilation = Compile();
        var updated = Edit(compilation, "Shared.cs", Shared.Replace("Replicas = 2", "Replicas = 5", StringComparison.Ordinal));
        var (after, _) = Run(compilation, updated);
        Assert.Contains("NumReplicas = 5", after.Results.Single().GeneratedSources.Single(s => s.HintName == "Cache.Tests.First.Serve.g.cs").SourceText.ToString(), StringComparison.Ordinal);
        AssertSameAsFreshRun(after, updated);
    }

    [Fact]
    public void A_base_class_edited_in_another_file_gives_the_deployment_its_new_methods()
    {
        var compilation = Compile();
        var updated = Edit(compilation, "Base.cs", Base.Replace("public int Helper()", "public int Added() => 4;\n\n    public int Helper()", StringComparison.Ordinal));
        var (after, _) = Run(compilation, updated);
        Assert.Contains(" Added(this global::Serve.DeploymentHandle<global::Cache.Tests.Second>",
            after.Results.Single().GeneratedSources.Single(s => s.HintName == "Cache.Tests.Second.Serve.g.cs").SourceText.ToString(), StringComparison.Ordinal);
        AssertSameAsFreshRun(after, updated);
    }

    [Fact]
    public void A_body_edit_in_a_base_class_file_moves_the_locations_that_point_into_it()
    {
        var compilation = Compile();
        var updated = Edit(compilation, "Base.cs", Base.Replace("return 1;", "var one = 1;\n        return one;", StringComparison.Ordinal));
        var (after, reused) = Run(compilation, updated, "First", "Second");
        // Second's model holds the location of Base.Timeout (SERVE0033): it is read again, and the warning moves with the method.
        Assert.True(reused["First"]);
        Assert.False(reused["Second"]);
        var warning = Assert.Single(after.Diagnostics, d => d.Id == "SERVE0033");
        Assert.Equal("Base.cs", warning.Location.SourceTree!.FilePath);
        Assert.Equal("Timeout", warning.Location.SourceTree.GetText().ToString(warning.Location.SourceSpan));
        AssertSameAsFreshRun(after, updated);
    }

    [Fact]
    public void A_nullable_directive_typed_in_a_body_reads_every_deployment_again()
    {
        var compilation = Compile();
        var updated = Edit(compilation, "Shared.cs", Shared.Replace("return 3;", "#nullable disable\n        return 3;", StringComparison.Ordinal));
        var (after, reused) = Run(compilation, updated, "Second");
        Assert.False(reused["Second"]);
        AssertSameAsFreshRun(after, updated);
    }

    [Fact]
    public void A_nullable_directive_at_the_top_of_a_file_does_not_stop_the_reuse()
    {
        var compilation = Compile(shared: "#nullable enable\n" + Shared);
        var (_, reused) = Run(compilation, Edit(compilation, "Shared.cs", "#nullable enable\n" + Shared.Replace("return 3;", "return 4;", StringComparison.Ordinal)), "Second");
        Assert.True(reused["Second"]);
    }

    [Fact]
    public void A_new_reference_reads_every_deployment_again()
    {
        var compilation = Compile();
        var updated = compilation.AddReferences(MetadataReference.CreateFromFile(typeof(DeploymentCacheTests).Assembly.Location));
        var (_, reused) = Run(compilation, updated, "First");
        Assert.False(reused["First"]);
    }
}
