using System.Runtime.CompilerServices;
using Serve.Replicas;
using Serve.Routing;
using Serve.Runtime.Tests.Composition;

namespace Serve.Runtime.Tests.Routing;

/// <summary>
/// A handle stream whose replica is stopped while it waits for its next item ends with UNAVAILABLE for its consumer,
/// instead of waiting for a wedged deployment forever; the consumer's dispose does not wait for it either.
/// </summary>
public sealed class AbandonedHandleStreamTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(10);

    public sealed class Wedging
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>One item, then a wait that ignores its token: a wedged stream.</summary>
        public async IAsyncEnumerable<int> Items([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            yield return 1;
            Entered.TrySetResult();
            await new TaskCompletionSource().Task;
            yield return 2;
        }
    }

    [Fact]
    public async Task The_consumer_gets_DeploymentUnavailableException_when_the_replica_stops_under_the_stream()
    {
        var instance = new Wedging();
        var replica = new Replica("app#Wedging#1", "Wedging", instance, 1);
        var router = new ReplicaRouter("Wedging", -1);
        router.SetReplicas([replica]);
        var handle = new DeploymentHandle<Wedging>(new RouterHandleTarget("app", "Wedging", router));

        var items = handle.InvokeStream("Items", (d, ct) => d.Items(ct)).GetAsyncEnumerator();
        Assert.True(await items.MoveNextAsync().AsTask().WaitAsync(s_guard));
        Assert.Equal(1, items.Current);
        var next = items.MoveNextAsync().AsTask();
        await instance.Entered.Task.WaitAsync(s_guard);
        Assert.False(next.IsCompleted);

        // No grace period: the stream is abandoned at once.
        await replica.StopAsync(TimeSpan.Zero, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<DeploymentUnavailableException>(() => next.WaitAsync(s_guard));
        Assert.Equal(replica.AbandonedMessage, ex.Message);
        await items.DisposeAsync().AsTask().WaitAsync(s_guard);
        Assert.Equal(0, replica.Ongoing);
    }
}
