using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Serve.Generators.Tests;

/// <summary><c>[Batch]</c> deployments: unrelated edits leave every step cached or unchanged; a setting change regenerates the deployment only.</summary>
public class BatchIncrementalityTests
{
    /// <summary>The batching deployments, plus a [Batch] method outside a deployment (SERVE0038).</summary>
    private static readonly string s_source = BatchSources.Deployments
        + "\npublic class NotADeployment { [Batch] public int[] M(IReadOnlyList<int> x) => x.ToArray(); }\n";

    private static Compilation Compile(string source)
        => GeneratorHarness.Compile(("UserDefinedProtos.cs", GeneratorHarness.UserDefinedProtos), ("Batch.cs", source));

    private static Compilation Replace(Compilation compilation, string source)
        => compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(t => t.FilePath == "Batch.cs"), CSharpSyntaxTree.ParseText(source, GeneratorHarness.ParseOptions, "Batch.cs"));

    [Fact]
    public void Editing_a_batched_method_body_leaves_every_step_cached_or_unchanged()
    {
        var before = Compile(s_source);
        var edited = s_source.Replace("v => v * v", "v => v + v", StringComparison.Ordinal);
        Assert.NotEqual(s_source, edited);
        var after = Replace(before, edited);

        // The edited file holds the SERVE0038 warning: it is re-reported, bound to the new tree; nothing else runs again.
        var second = IncrementalityTests.AssertIncremental(before, after, rebindsDiagnostics: true);
        Assert.Contains(ServeGenerator.TrackingNames.StrayBatch, second.TrackedSteps.Keys);
        Assert.Contains(GeneratorHarness.Run(after).GeneratorDiagnostics, d => d.Id == "SERVE0038");
    }

    [Fact]
    public void Changing_MaxBatchSize_regenerates_the_deployment_only()
    {
        var before = Compile(s_source);
        var after = Replace(before, s_source.Replace("MaxBatchSize = 4,", "MaxBatchSize = 6,", StringComparison.Ordinal));
        var result = GeneratorHarness.CreateDriver().RunGenerators(before).RunGenerators(after).GetRunResult().Results.Single();
        Assert.Contains(result.TrackedSteps[ServeGenerator.TrackingNames.DeploymentModels].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(result.TrackedSteps[ServeGenerator.TrackingNames.Registry].SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        var classifier = result.GeneratedSources.Single(s => s.HintName == "Batching.Tests.Classifier.Serve.g.cs").SourceText.ToString();
        Assert.Contains("BatchQueue<global::Userdefinedprotos.ImageData, global::Userdefinedprotos.ImageClass>(\"Predict\", 6,", classifier, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plain_http_ingress_can_be_batched_over_requests()
    {
        var (_, output, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos("""
            using System.Collections.Generic;
            using System.Linq;
            using Serve;
            using Serve.Http;

            namespace D;

            [Deployment(MaxOngoingRequests = 10)]
            public partial class Ingress
            {
                [Batch, HttpIngress]
                public string[] Handle(IReadOnlyList<HttpRequestData> requests) => requests.Select(r => r.Path).ToArray();
            }
            """));
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Contains(output.SyntaxTrees, t => t.ToString().Contains("((global::D.Ingress)instance).Handle(call.Request, call.CancellationToken)", StringComparison.Ordinal));
    }
}
