using Serve.Hosting;

namespace Serve.IntegrationTests.Composition;

/// <summary>
/// A streaming method called through its generated handle method (<c>counter.Count(n, ct)</c>, a
/// <see cref="DeploymentResponseStream{T}"/>) by an ingress that streams too, run in local testing mode:
/// both hops go through the real routers and replicas.
/// </summary>
public sealed class GeneratedStreamHandleTests
{
    private static readonly TimeSpan s_generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_value_arrives_in_order_through_both_hops()
    {
        var signals = new CounterSignals();
        await using var local = await LocalTestingMode.RunAsync(CountingIngress.Bind(Counter.Bind(signals)), "streams");

        var received = new List<int>();
        await foreach (var value in local.Handle.Relay(50, 3))
        {
            received.Add(value);
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 3), received);
        Assert.Equal(50, await signals.Stopped.Task.WaitAsync(s_generous));
        Assert.False(signals.TokenFired.Task.IsCompleted, "The producer's token fired although the stream was read to its end.");
        Assert.Equal(["Counter", "CountingIngress"], local.DeploymentNames);
    }

    [Fact]
    public async Task The_child_stream_is_a_DeploymentResponseStream_that_starts_only_when_enumerated()
    {
        var signals = new CounterSignals();
        await using var local = await LocalTestingMode.RunAsync(Counter.Bind(signals), "streams");

        DeploymentResponseStream<int> stream = local.Handle.Count(4);
        Assert.False(signals.Stopped.Task.IsCompleted);
        var counter = Assert.Single(Assert.Single(local.Deployments).Router.Replicas);
        Assert.Equal(0, counter.Ongoing);

        var received = new List<int>();
        await foreach (var value in stream)
        {
            // The stream holds its replica's slot while it is read.
            Assert.Equal(1, counter.Ongoing);
            received.Add(value);
        }
        Assert.Equal([0, 1, 2, 3], received);
        Assert.Equal(4, await signals.Stopped.Task.WaitAsync(s_generous));
        Assert.Equal(0, counter.Ongoing);
    }

    [Fact]
    public async Task Breaking_out_early_stops_the_producer_through_both_hops_and_frees_the_slots()
    {
        var signals = new CounterSignals();
        await using var local = await LocalTestingMode.RunAsync(CountingIngress.Bind(Counter.Bind(signals)), "streams");

        var received = new List<int>();
        await foreach (var value in local.Handle.Relay(1_000_000, 1))
        {
            received.Add(value);
            if (received.Count == 3)
            {
                break;
            }
        }

        Assert.Equal([0, 1, 2], received);
        // Leaving the loop disposed both streams: the producer's finally ran long before it reached a million.
        var produced = await signals.Stopped.Task.WaitAsync(s_generous);
        Assert.InRange(produced, 3, 1_000);
        Assert.All(local.Deployments.SelectMany(d => d.Router.Replicas), r => Assert.Equal(0, r.Ongoing));

        // The slots were given back: the same replicas serve the next call.
        Assert.Equal([0, 2, 4], await local.Handle.Relay(3, 2).ToListAsync());
    }

    [Fact]
    public async Task Cancelling_the_consumer_token_fires_the_producers_token()
    {
        var signals = new CounterSignals();
        await using var local = await LocalTestingMode.RunAsync(CountingIngress.Bind(Counter.Bind(signals)), "streams");
        using var cts = new CancellationTokenSource();

        var received = new List<int>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var value in local.Handle.Relay(1_000_000, 1, cts.Token))
            {
                received.Add(value);
                if (received.Count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        });

        await signals.TokenFired.Task.WaitAsync(s_generous);
        Assert.InRange(await signals.Stopped.Task.WaitAsync(s_generous), 3, 1_000);
        Assert.All(local.Deployments.SelectMany(d => d.Router.Replicas), r => Assert.Equal(0, r.Ongoing));
    }
}
