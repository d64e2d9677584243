using System.Collections.Concurrent;
using Serve.Hosting;
using static Serve.Runtime.Tests.Composition.CompositionKit;

namespace Serve.Runtime.Tests.Composition;

/// <summary>An application run in-process without proxies, as Ray's <c>_local_testing_mode</c>.</summary>
public sealed class LocalTestingModeTests
{
    /// <summary>The chain's log: who saw which request, and in which order instances were disposed.</summary>
    private sealed class Journal
    {
        public ConcurrentQueue<(string Deployment, string RequestId, string Route, string App)> Calls { get; } = new();

        public ConcurrentQueue<string> Disposed { get; } = new();

        public void Record(string deployment)
        {
            var context = ServeRequestContext.Current!;
            Calls.Enqueue((deployment, context.RequestId, context.Route, context.ApplicationName));
        }
    }

    private sealed class Leaf(Journal journal) : IDisposable
    {
        public ValueTask<string> Run(string input)
        {
            journal.Record("Leaf");
            return ValueTask.FromResult($"leaf({input})");
        }

        public void Dispose() => journal.Disposed.Enqueue("Leaf");
    }

    private sealed class Middle(DeploymentHandle<Leaf> leaf, Journal journal) : IDisposable
    {
        public async ValueTask<string> Run(string input, CancellationToken cancellationToken)
        {
            journal.Record("Middle");
            return $"middle({await leaf.Invoke("Run", (l, _) => l.Run(input), cancellationToken)})";
        }

        public void Dispose() => journal.Disposed.Enqueue("Middle");
    }

    private sealed class Ingress(DeploymentHandle<Middle> middle, Journal journal) : IAsyncDisposable
    {
        public async ValueTask<string> Run(string input, CancellationToken cancellationToken)
        {
            journal.Record("Ingress");
            return $"ingress({await middle.Invoke("Run", (m, ct) => m.Run(input, ct), cancellationToken)})";
        }

        public ValueTask DisposeAsync()
        {
            journal.Disposed.Enqueue("Ingress");
            return ValueTask.CompletedTask;
        }
    }

    private static Application<Ingress> Chain(Journal journal, int leafReplicas = 1)
    {
        var leaf = Bind<Leaf>(Define("Leaf", _ => new Leaf(journal))).WithOptions(numReplicas: leafReplicas);
        var middle = Bind<Middle>(Define("Middle", args => new Middle((DeploymentHandle<Leaf>)args[0]!, journal), constructorParameters: 1), leaf);
        return Bind<Ingress>(Define("Ingress", args => new Ingress((DeploymentHandle<Middle>)args[0]!, journal), constructorParameters: 1), middle);
    }

    [Fact]
    public async Task A_chain_of_three_deployments_composes_its_result()
    {
        var journal = new Journal();
        await using var app = await LocalTestingMode.RunAsync(Chain(journal), "chain");

        var result = await app.Handle.Invoke("Run", (i, ct) => i.Run("x", ct));

        Assert.Equal("ingress(middle(leaf(x)))", result);
        Assert.Equal("chain", app.Name);
        Assert.Equal(["Leaf", "Middle", "Ingress"], app.DeploymentNames);
        Assert.Equal(("chain", "Ingress"), (app.Handle.ApplicationName, app.Handle.DeploymentName));
    }

    [Fact]
    public async Task Nested_calls_share_the_request_id_and_report_their_own_route()
    {
        var journal = new Journal();
        await using var app = await LocalTestingMode.RunAsync(Chain(journal));

        await app.Handle.Invoke("Run", (i, ct) => i.Run("a", ct));
        await app.Handle.Invoke("Run", (i, ct) => i.Run("b", ct));

        var calls = journal.Calls.ToArray();
        Assert.Equal(
            [("Ingress", "Ingress.Run", "default"), ("Middle", "Middle.Run", "default"), ("Leaf", "Leaf.Run", "default"),
             ("Ingress", "Ingress.Run", "default"), ("Middle", "Middle.Run", "default"), ("Leaf", "Leaf.Run", "default")],
            calls.Select(c => (c.Deployment, c.Route, c.App)));
        // One id per top-level call, generated since the test has no request context, shared down the chain.
        Assert.Single(calls[..3].Select(c => c.RequestId).Distinct());
        Assert.Single(calls[3..].Select(c => c.RequestId).Distinct());
        Assert.NotEqual(calls[0].RequestId, calls[3].RequestId);
    }

    [Fact]
    public async Task Options_apply_as_in_a_served_application()
    {
        var journal = new Journal();
        await using var app = await LocalTestingMode.RunAsync(Chain(journal, leafReplicas: 2));

        Assert.Equal([2, 1, 1], app.Deployments.Select(d => d.Router.Replicas.Count));
        Assert.Equal(DeploymentOptions.DefaultMaxOngoingRequests, app.Deployments[0].Router.Replicas[0].MaxOngoingRequests);
    }

    [Fact]
    public async Task Disposing_stops_every_replica_the_ingress_first()
    {
        var journal = new Journal();
        var app = await LocalTestingMode.RunAsync(Chain(journal, leafReplicas: 2));
        await app.Handle.Invoke("Run", (i, ct) => i.Run("x", ct));

        await app.DisposeAsync();
        await app.DisposeAsync();

        Assert.Equal(["Ingress", "Middle", "Leaf", "Leaf"], journal.Disposed);
    }

    [Fact]
    public async Task A_constructor_that_throws_fails_the_run_and_stops_what_started()
    {
        var journal = new Journal();
        var leaf = Bind<Leaf>(Define("Leaf", _ => new Leaf(journal)));
        var broken = Bind<Middle>(Define("Middle", _ => throw new InvalidDataException("bad weights"), constructorParameters: 1), leaf);

        var ex = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => LocalTestingMode.RunAsync(broken));

        Assert.StartsWith("The deployment failed to start 3 times in a row. This may be due to a problem with its constructor or initial health check failing. See controller logs for details. Error:" + Environment.NewLine + "Replica 0 of deployment 'Middle' failed to start: System.IO.InvalidDataException: bad weights", ex.Message);
        Assert.Equal(["Leaf"], journal.Disposed);
    }
}
