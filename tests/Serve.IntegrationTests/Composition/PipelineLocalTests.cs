using Pipeline;
using Serve.Hosting;

namespace Serve.IntegrationTests.Composition;

/// <summary>
/// The Pipeline sample's graph (<c>Pipeline.Graphs.App()</c>) run with <see cref="LocalTestingMode"/>, as the
/// composition guide shows it: every node its own deployment with its own replicas, called through the
/// generated handle methods.
/// </summary>
public sealed class PipelineLocalTests
{
    /// <summary>
    /// The sample's <c>[ApplicationBuilder]</c>, as built for <c>import_path: Pipeline.Graphs:App</c>. It is declared
    /// as the untyped <see cref="Application"/>, so the cast gives <see cref="LocalTestingMode.RunAsync{TDeployment}"/>
    /// its ingress type (it fails if the builder's ingress is not <see cref="PipelineIngress"/>).
    /// </summary>
    private static Application<PipelineIngress> App() => Graphs.App();

    [Fact]
    public async Task The_diamond_returns_8_for_1_2_3_through_the_ingress_handle()
    {
        await using var local = await LocalTestingMode.RunAsync(App());

        Assert.Equal(8, await local.Handle.Run(new[] { 1, 2, 3 }));
        Assert.Equal(2 * 1 + 3 * 2 + 4, await local.Handle.Run(new[] { 2, 3, 4 }));
    }

    [Theory]
    [InlineData("m1", 5, 5)]
    [InlineData("m2", 5, 10)]
    public async Task Choose_runs_the_branch_the_input_names_through_the_ingress_handle(string model, int value, int expected)
    {
        await using var local = await LocalTestingMode.RunAsync(App());

        Assert.Equal(expected, await local.Handle.Choose(new ChooseInput(model, value)));
    }

    [Fact]
    public async Task An_unknown_branch_fails_with_the_ingress_exception_unchanged()
    {
        await using var local = await LocalTestingMode.RunAsync(App());

        var error = await Assert.ThrowsAsync<Serve.Http.HttpException>(async () => await local.Handle.Choose(new ChooseInput("m3", 1)));
        Assert.Contains("Unknown model 'm3'", error.Message, StringComparison.Ordinal);
        Assert.Equal(8, await local.Handle.Run(new[] { 1, 2, 3 }));
    }

    [Fact]
    public async Task Every_node_is_a_deployment_of_its_own_with_its_own_replicas()
    {
        await using var local = await LocalTestingMode.RunAsync(App(), "pipeline");

        // Children first, the ingress last.
        Assert.Equal(["Ensemble", "PipelineIngress", "m1", "m2"], local.DeploymentNames.Order(StringComparer.Ordinal));
        Assert.Equal("PipelineIngress", local.DeploymentNames[^1]);
        Assert.Equal("PipelineIngress", local.Handle.DeploymentName);
        Assert.Equal("pipeline", local.Handle.ApplicationName);

        var deployments = local.Deployments.ToDictionary(d => d.Name);
        var m1 = deployments["m1"];
        var m2 = deployments["m2"];
        Assert.NotSame(m1.Router, m2.Router);
        var m1Replica = Assert.Single(m1.Router.Replicas);
        var m2Replica = Assert.Single(m2.Router.Replicas);
        Assert.NotSame(m1Replica.Instance, m2Replica.Instance);
        Assert.NotEqual(m1Replica.Id, m2Replica.Id);
        Assert.All(local.Deployments, d => Assert.Single(d.Router.Replicas));
        Assert.Equal(4, local.Deployments.SelectMany(d => d.Router.Replicas).Select(r => r.Id).Distinct().Count());

        // Each model deployment was bound with its own weight: m1 = Model(1), m2 = Model(2).
        Assert.Equal(7, await new DeploymentHandle<Model>(m1.HandleTarget).Forward(7));
        Assert.Equal(14, await new DeploymentHandle<Model>(m2.HandleTarget).Forward(7));
        Assert.Equal(6, await new DeploymentHandle<Ensemble>(deployments["Ensemble"].HandleTarget).Combine(1, 2, 3));
    }
}
