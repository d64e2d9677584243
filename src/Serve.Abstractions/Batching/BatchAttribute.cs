namespace Serve;

/// <summary>
/// Batches calls to a deployment method (Ray Serve's <c>@serve.batch</c>). The method takes a list of
/// items and returns a list of results of the same length; everything else (gRPC, HTTP, handles,
/// and calls from the class itself) calls it with <b>one</b> item and gets <b>one</b> result. The
/// replica collects concurrent calls into a batch and runs the method once per batch, when the batch
/// is full (<see cref="MaxBatchSize"/>) or when <see cref="BatchWaitTimeoutS"/> has passed since its
/// oldest item arrived.
/// </summary>
/// <remarks>
/// <para>The method is an instance method taking <c>IReadOnlyList&lt;TIn&gt;</c> (and optionally a
/// <see cref="CancellationToken"/>) and returning <c>IReadOnlyList&lt;TOut&gt;</c>, <c>TOut[]</c>,
/// <c>List&lt;TOut&gt;</c> or another type implementing <c>IReadOnlyList&lt;TOut&gt;</c>, directly or as a
/// <c>Task</c>/<c>ValueTask</c> of one. The source generator adds the per-item overload
/// <c>ValueTask&lt;TOut&gt; M(TIn item, CancellationToken cancellationToken = default)</c> to the class.</para>
/// <para>A batch holds calls of one multiplexed model id only. At most <see cref="MaxConcurrentBatches"/>
/// batches of a method run at once per replica. If the method throws, every caller of the batch gets the
/// exception; if it returns a list of another length, every caller gets an error saying so.</para>
/// <para>A batch can only fill when enough calls are in flight: keep the deployment's
/// <c>max_ongoing_requests</c> at least <see cref="MaxBatchSize"/> × <see cref="MaxConcurrentBatches"/>
/// (the build warns, SERVE0037, and so does the runtime at deploy time).</para>
/// <para>See docs/batching.md.</para>
/// </remarks>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class BatchAttribute : Attribute
{
    /// <summary>Ray Serve's default <c>max_batch_size</c>.</summary>
    public const int DefaultMaxBatchSize = 10;

    /// <summary>Ray Serve's default <c>batch_wait_timeout_s</c>, in seconds.</summary>
    public const double DefaultBatchWaitTimeoutS = 0.01;

    /// <summary>Ray Serve's default <c>max_concurrent_batches</c>.</summary>
    public const int DefaultMaxConcurrentBatches = 1;

    private int _maxBatchSize = DefaultMaxBatchSize;
    private double _batchWaitTimeoutS = DefaultBatchWaitTimeoutS;
    private int _maxConcurrentBatches = DefaultMaxConcurrentBatches;

    /// <summary>Most items in one batch (Ray's <c>max_batch_size</c>). At least 1; default 10.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxBatchSize
    {
        get => _maxBatchSize;
        set => _maxBatchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxBatchSize must be at least 1.");
    }

    /// <summary>
    /// Seconds a batch that is not full waits for more items, counted from the arrival of its oldest item
    /// (Ray's <c>batch_wait_timeout_s</c>). A finite number, at least 0; 0 runs whatever is queued as soon as
    /// a batch may start. Default 0.01.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, infinite or NaN.</exception>
    public double BatchWaitTimeoutS
    {
        get => _batchWaitTimeoutS;
        set => _batchWaitTimeoutS = value >= 0 && !double.IsInfinity(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "BatchWaitTimeoutS must be a finite number of seconds, at least 0.");
    }

    /// <summary>Batches of this method that run at once on one replica (Ray's <c>max_concurrent_batches</c>). At least 1; default 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int MaxConcurrentBatches
    {
        get => _maxConcurrentBatches;
        set => _maxConcurrentBatches = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxConcurrentBatches must be at least 1.");
    }
}
