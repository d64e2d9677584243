namespace Serve.Generators.Tests;

public class SnapshotTests
{
    [Theory]
    [InlineData("Quickstart.GrpcDeployment.Serve.g.cs")]
    [InlineData("Quickstart.Classifier.Serve.g.cs")]
    [InlineData("userdefinedprotos.UserDefinedService.Grpc.g.cs")]
    [InlineData("userdefinedprotos.ImageClassificationService.Grpc.g.cs")]
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
    [InlineData("serve.tests.Echo.Grpc.g.cs")]
    [InlineData("serve.tests.Chat.Grpc.g.cs")]
    public void Echo_output_matches_snapshot(string hintName)
    {
        var (result, _, diagnostics) = GeneratorHarness.Run(GeneratorHarness.CompileWithProtos(TestSources.Echo));
        Assert.Empty(diagnostics);
        Snapshot.Match(hintName.Replace(".g.cs", "", StringComparison.Ordinal), GeneratorHarness.GeneratedSource(result, hintName));
    }
}
