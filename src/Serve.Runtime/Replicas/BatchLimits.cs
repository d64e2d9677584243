using Serve.Batching;
using Serve.Dispatch;

namespace Serve.Replicas;

/// <summary>
/// Checks a deployment's <see cref="BatchAttribute"/> methods against the <c>max_ongoing_requests</c> it runs with,
/// and stops a replica's batch queues. A call holds its replica slot while it waits in a queue, so a replica never holds
/// more than <c>max_ongoing_requests</c> calls of a batch: below <c>max_batch_size × max_concurrent_batches</c> the
/// batches cannot fill (Ray Serve warns about the same).
/// </summary>
internal static class BatchLimits
{
    /// <summary>One message per batched method whose batches cannot fill under <paramref name="maxOngoingRequests"/>.</summary>
    public static IEnumerable<string> Problems(string deploymentName, DeploymentDefinition definition, int maxOngoingRequests)
    {
        foreach (var batch in definition.BatchMethods)
        {
            if (maxOngoingRequests < batch.FullCapacity)
            {
                yield return $"Deployment '{deploymentName}': max_batch_size ({batch.MaxBatchSize}) * max_concurrent_batches ({batch.MaxConcurrentBatches}) "
                    + $"of batched method '{batch.MethodName}' is larger than max_ongoing_requests ({maxOngoingRequests}). "
                    + $"A replica will never fill its batches; set max_ongoing_requests to at least {batch.FullCapacity}.";
            }
        }
    }

    /// <summary>
    /// Stops the batch queues an instance created: waiting calls fail with UNAVAILABLE, running batches see their
    /// token cancelled. Queues never created (methods never called) are skipped.
    /// </summary>
    public static async ValueTask StopQueuesAsync(IReadOnlyList<BatchMethodDefinition> batchMethods, object instance)
    {
        foreach (var batch in batchMethods)
        {
            if (batch.Queue(instance) is { } queue)
            {
                await queue.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
