using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Serve.Generators;

namespace Serve.Generators.Tests;

/// <summary>Unrelated edits must leave every step Cached or Unchanged and the output as it was.</summary>
public class IncrementalityTests
{
    /// <summary>Every step the Serve generator names (Roslyn's own steps, such as the compilation, change with any edit).</summary>
    private static readonly string[] s_steps = typeof(ServeGenerator.TrackingNames).GetFields().Select(f => (string)f.GetValue(null)!).ToArray();

    /// <summary>The streaming and multiplexing deployments, plus a [Multiplexed] method outside a deployment (a warning).</summary>
    private static readonly string s_streamingWithStray = TestSources.Streaming + "\npublic class NotADeployment { [Multiplexed] public string Load(string id) => id; }\n";

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Quickstart);
        var updated = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Other { public class Unrelated { public int Value => 42; } }", GeneratorHarness.ParseOptions, "Unrelated.cs"));
        AssertIncremental(compilation, updated);
    }

    [Fact]
    public void Editing_a_streaming_method_body_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.CompileWithProtos(s_streamingWithStray);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = s_streamingWithStray.Replace("Index = i++", "Index = ++i", StringComparison.Ordinal);
        Assert.NotEqual(s_streamingWithStray, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        // The edited file holds the SERVE0022 warning: it is re-reported, bound to the new tree; nothing else runs again.
        AssertIncremental(compilation, updated, rebindsDiagnostics: true);
        Assert.Contains(GeneratorHarness.Run(updated).GeneratorDiagnostics, d => d.Id == "SERVE0022");
    }

    [Fact]
    public void Changing_MaxModelsPerReplica_regenerates_the_deployment_only()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Streaming);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = TestSources.Streaming.Replace("MaxModelsPerReplica = 2", "MaxModelsPerReplica = 4", StringComparison.Ordinal);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation).RunGenerators(updated);
        var result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.Registry].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.Contains("ModelCache<global::Streaming.Tests.Model>(4,", result.GeneratedSources.Single(s => s.HintName == "Streaming.Tests.ChatDeployment.Serve.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Editing_a_method_body_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Quickstart);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = TestSources.Quickstart.Replace("Num = message.Num * 2,", "Num = message.Num * 3,", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Quickstart, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        AssertIncremental(compilation, updated);
    }

    [Fact]
    public void Editing_an_http_method_body_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Http);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = TestSources.Http.Replace("\"NEGATIVE\", 0.75", "\"NEGATIVE\", 0.25", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Http, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        AssertIncremental(compilation, updated);
    }

    [Fact]
    public void Changing_a_route_regenerates_the_deployment_and_its_openapi_document()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Http);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = TestSources.Http.Replace("[HttpGet(\"/test\")]", "[HttpGet(\"/root\")]", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Http, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation).RunGenerators(updated);
        var result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.ProtoFiles].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        var source = result.GeneratedSources.Single(s => s.HintName == "HttpTests.Classifier.Serve.g.cs").SourceText.ToString();
        Assert.Contains("HttpRouteDefinition(\"GET\", \"/root\", \"Root\"", source, StringComparison.Ordinal);
        Assert.Contains("\\\"/root\\\":{\\\"get\\\"", source, StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_a_comment_above_a_deployment_only_moves_its_diagnostic_locations()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Quickstart);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = TestSources.Quickstart.Replace("namespace Quickstart;", "namespace Quickstart; // a comment\n", StringComparison.Ordinal);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));
        // The parsed models carry locations (for diagnostics), so they change; what is emitted does not.
        AssertIncremental(compilation, updated, ServeGenerator.TrackingNames.Deployments, ServeGenerator.TrackingNames.DeploymentResults, ServeGenerator.TrackingNames.ApplicationBuilders);
    }

    [Fact]
    public void Changing_a_deployment_regenerates_it()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Quickstart);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        var edited = TestSources.Quickstart.Replace("[Deployment]\n[GrpcService", "[Deployment(NumReplicas = 3)]\n[GrpcService", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Quickstart, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));

        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        driver = driver.RunGenerators(updated);
        var result = driver.GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.ProtoFiles].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.Contains("NumReplicas = 3", result.GeneratedSources.Single(s => s.HintName == "Quickstart.GrpcDeployment.Serve.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Changing_one_deployment_re_emits_that_deployment_only()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Quickstart);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Deployment.cs");
        // Same length, so that the other deployment's locations do not move.
        var edited = TestSources.Quickstart.Replace("NumReplicas = 2,", "NumReplicas = 3,", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Quickstart, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Deployment.cs"));

        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation).RunGenerators(updated);
        var result = driver.GetRunResult().Results.Single();
        var models = result.TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels].SelectMany(s => s.Outputs).ToList();
        Assert.Equal(2, models.Count);
        var modified = Assert.Single(models, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("FullTypeName = Quickstart.Classifier,", modified.Value.ToString(), StringComparison.Ordinal);
        Assert.All(models.Where(o => o != modified), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        // One source is written again: the edited deployment's (the registry and the shared helpers are as they were).
        var written = result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Where(o => o.Reason is IncrementalStepRunReason.New or IncrementalStepRunReason.Modified).ToList();
        Assert.Single(written);
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.Registry].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    private const string OtherFile = """
        namespace Other
        {
            public static class Helpers
            {
                public static int Twice(int value) => value * 2;
            }
        }
        """;

    [Fact]
    public void Editing_a_method_body_in_another_file_does_not_rerun_the_steps_after_parsing()
    {
        var compilation = GeneratorHarness.Compile(
            ("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Composition.cs", TestSources.Composition), ("Other.cs", OtherFile));
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Other.cs");
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(
            OtherFile.Replace("value * 2", "value + value", StringComparison.Ordinal), GeneratorHarness.ParseOptions, "Other.cs"));
        AssertIncremental(compilation, updated);

        // Reading a deployment's symbols runs again for any new compilation (and finds nothing changed); the steps after it do not run.
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation).RunGenerators(updated);
        var result = driver.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.Deployments].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        foreach (var step in new[] { ServeGenerator.TrackingNames.DeploymentResults, ServeGenerator.TrackingNames.DeploymentModels, ServeGenerator.TrackingNames.HandleGraph, ServeGenerator.TrackingNames.HandleCycles })
        {
            var outputs = result.TrackedSteps[step].SelectMany(s => s.Outputs).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        }
    }

    [Fact]
    public void Editing_a_method_body_of_a_deployment_with_handles_leaves_every_step_cached_or_unchanged()
    {
        var compilation = GeneratorHarness.Compile(("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Composition.cs", TestSources.Composition));
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Composition.cs");
        var edited = TestSources.Composition.Replace("return _label + \":\" + tensor.Sum();", "return _label + \"=\" + tensor.Sum();", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Composition, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Composition.cs"));
        AssertIncremental(compilation, updated);
    }

    [Fact]
    public void Adding_a_handle_that_closes_a_cycle_reruns_the_cycle_check_only_for_the_graph()
    {
        var compilation = GeneratorHarness.Compile(("Composition.cs", TestSources.Composition));
        var tree = compilation.SyntaxTrees.Single();
        var edited = TestSources.Composition.Replace(
            "public sealed partial class Model(int weight)", "public sealed partial class Model(int weight, DeploymentHandle<Ensemble> ensemble)", StringComparison.Ordinal);
        Assert.NotEqual(TestSources.Composition, edited);
        var updated = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(edited, GeneratorHarness.ParseOptions, "Composition.cs"));
        var driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        Assert.Empty(driver.GetRunResult().Diagnostics);
        driver = driver.RunGenerators(updated);
        var run = driver.GetRunResult();
        var result = run.Results.Single();
        Assert.Contains(result.TrackedSteps[ServeGenerator.TrackingNames.HandleCycles].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(new[] { "SERVE0032", "SERVE0032" }, run.Diagnostics.Select(d => d.Id));
        // Model's node is new; Ensemble's moved (its location is after the edit); Classifier's, declared before, is as it was.
        var nodes = result.TrackedSteps[ServeGenerator.TrackingNames.HandleGraph].SelectMany(s => s.Outputs).ToList();
        Assert.Contains(nodes, o => o.Reason == IncrementalStepRunReason.New && o.Value.ToString()!.Contains("GlobalTypeName = global::Composition.Tests.Model,", StringComparison.Ordinal));
        Assert.Contains(nodes, o => o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged
            && o.Value.ToString()!.Contains("GlobalTypeName = global::Composition.Tests.Classifier,", StringComparison.Ordinal));
    }

    [Fact]
    public void Adding_a_deployment_rebinds_the_others_only_when_it_takes_their_name()
    {
        var compilation = GeneratorHarness.CompileWithProtos(TestSources.Quickstart);
        Compilation Add(string source) => compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, "Added.cs"));

        // Another name: the existing deployments are not bound again.
        var other = GeneratorHarness.CreateDriver().RunGenerators(compilation).RunGenerators(Add("namespace Other; [Serve.Deployment] public partial class Unrelated { }"));
        var result = other.GetRunResult().Results.Single();
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.DuplicateNames].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Unchanged, o.Reason));
        Assert.Contains(result.TrackedSteps[ServeGenerator.TrackingNames.DeploymentResults].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Cached);
        Assert.Empty(other.GetRunResult().Diagnostics);

        // The same name: both are reported.
        var namesake = GeneratorHarness.CreateDriver().RunGenerators(compilation).RunGenerators(Add("namespace Other; [Serve.Deployment] public partial class GrpcDeployment { }"));
        Assert.Contains(namesake.GetRunResult().Results.Single().TrackedSteps[ServeGenerator.TrackingNames.DuplicateNames].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(new[] { "SERVE0040", "SERVE0040" }, namesake.GetRunResult().Diagnostics.Select(d => d.Id));
    }

    private static void AssertIncremental(Compilation before, Compilation after, params string[] locationBearingSteps)
        => _ = AssertIncremental(before, after, rebindsDiagnostics: false, locationBearingSteps);

    /// <param name="rebindsDiagnostics">True when the edit replaces a file that a diagnostic points into: then the
    /// lookup of the diagnostics' trees and the output reporting them run again (a diagnostic must point into a tree
    /// of the current compilation), and every reported diagnostic is checked to do so.</param>
    /// <returns>The second run's result.</returns>
    internal static GeneratorRunResult AssertIncremental(Compilation before, Compilation after, bool rebindsDiagnostics, params string[] locationBearingSteps)
    {
        var driver = GeneratorHarness.CreateDriver().RunGenerators(before);
        var first = driver.GetRunResult().Results.Single();
        driver = driver.RunGenerators(after);
        var run = driver.GetRunResult();
        var second = run.Results.Single();

        var rerun = rebindsDiagnostics ? new[] { ServeGenerator.TrackingNames.DiagnosticTrees, ServeGenerator.TrackingNames.ReportedDiagnostics } : [];
        foreach (var step in s_steps.Except(locationBearingSteps).Except(rerun))
        {
            if (!first.TrackedSteps.ContainsKey(step))
            {
                continue;   // Nothing in the source for this step (no [ApplicationBuilder], no stray [Multiplexed]): it never ran.
            }
            Assert.True(second.TrackedSteps.ContainsKey(step), "No tracked step " + step);
            foreach (var output in second.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"Step {step} output was {output.Reason}: {output.Value}");
            }
        }
        // The descriptor decoding never re-runs for an unchanged protoc file.
        Assert.All(second.TrackedSteps[ServeGenerator.TrackingNames.ProtoFiles].SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        var outputSteps = second.TrackedOutputSteps.Where(s => locationBearingSteps.Length == 0).SelectMany(s => s.Value)
            .Where(s => !rebindsDiagnostics || !s.Inputs.Any(i => i.Source.Name == ServeGenerator.TrackingNames.ReportedDiagnostics));
        foreach (var output in outputSteps.SelectMany(s => s.Outputs))
        {
            Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, "An output step was " + output.Reason);
        }
        if (rebindsDiagnostics)
        {
            Assert.Contains(second.TrackedSteps[ServeGenerator.TrackingNames.DiagnosticTrees].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
            Assert.NotEmpty(run.Diagnostics);
            Assert.All(run.Diagnostics, d => Assert.True(d.Location.SourceTree is null || after.ContainsSyntaxTree(d.Location.SourceTree), d + " points into a tree of the earlier compilation"));
        }
        Assert.Equal(
            first.GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText),
            second.GeneratedSources.Select(s => s.HintName + "\n" + s.SourceText));
        return second;
    }
}
