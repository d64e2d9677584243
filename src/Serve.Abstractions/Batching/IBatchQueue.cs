namespace Serve.Batching;

/// <summary>What the runtime reads of a replica's queue of one <see cref="BatchAttribute"/> method, whatever its item types.</summary>
public interface IBatchQueue : IAsyncDisposable
{
    /// <summary>The batched method's name.</summary>
    string MethodName { get; }

    /// <summary>Most items in one batch.</summary>
    int MaxBatchSize { get; }

    /// <summary>How long a batch that is not full waits for more items, from the arrival of its oldest item.</summary>
    TimeSpan BatchWaitTimeout { get; }

    /// <summary>Batches that run at once at most.</summary>
    int MaxConcurrentBatches { get; }

    /// <summary>Calls waiting for a batch now.</summary>
    int QueuedCount { get; }

    /// <summary>Batches running now.</summary>
    int RunningBatchCount { get; }
}

/// <summary>
/// A <see cref="BatchAttribute"/> method as the runtime sees it: its settings (to check them against
/// <c>max_ongoing_requests</c> at deploy time) and how to reach a replica's queue (to stop it with the replica).
/// </summary>
public sealed class BatchMethodDefinition
{
    /// <summary>Creates a definition; called by generated code.</summary>
    /// <param name="methodName">The batched method's name.</param>
    /// <param name="maxBatchSize">Most items in one batch.</param>
    /// <param name="batchWaitTimeout">How long a batch that is not full waits for more items.</param>
    /// <param name="maxConcurrentBatches">Batches that run at once at most.</param>
    /// <param name="queue">Reads a replica instance's queue; null while the method has never been called.</param>
    public BatchMethodDefinition(string methodName, int maxBatchSize, TimeSpan batchWaitTimeout, int maxConcurrentBatches, Func<object, IBatchQueue?> queue)
    {
        MethodName = methodName ?? throw new ArgumentNullException(nameof(methodName));
        MaxBatchSize = maxBatchSize;
        BatchWaitTimeout = batchWaitTimeout;
        MaxConcurrentBatches = maxConcurrentBatches;
        Queue = queue ?? throw new ArgumentNullException(nameof(queue));
    }

    /// <summary>The batched method's name.</summary>
    public string MethodName { get; }

    /// <summary>Most items in one batch (<see cref="BatchAttribute.MaxBatchSize"/>).</summary>
    public int MaxBatchSize { get; }

    /// <summary>How long a batch that is not full waits for more items (<see cref="BatchAttribute.BatchWaitTimeoutS"/>).</summary>
    public TimeSpan BatchWaitTimeout { get; }

    /// <summary>Batches that run at once at most (<see cref="BatchAttribute.MaxConcurrentBatches"/>).</summary>
    public int MaxConcurrentBatches { get; }

    /// <summary>Calls a replica holds at once when every batch is full: <see cref="MaxBatchSize"/> × <see cref="MaxConcurrentBatches"/>.</summary>
    public long FullCapacity => (long)MaxBatchSize * MaxConcurrentBatches;

    /// <summary>Reads a replica instance's queue; null while the method has never been called on it.</summary>
    public Func<object, IBatchQueue?> Queue { get; }
}
