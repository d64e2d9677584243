using System.Threading.Tasks.Sources;
using Grpc.Core;

namespace Serve.Batching;

/// <summary>
/// One replica's queue of a <see cref="BatchAttribute"/> method: callers submit one item each and get one
/// result; the queue runs the batch handler on lists of items. The generated per-item overload of a
/// batched method creates one per replica instance (on first use) and calls <see cref="SubmitAsync"/>.
/// </summary>
/// <remarks>
/// <para><b>When a batch runs.</b> Calls wait in arrival order, in one lane per multiplexed model id (read
/// from <see cref="ServeRequestContext.Current"/> when the call is submitted): a batch holds calls of one
/// model id. A lane is ready when it holds <see cref="MaxBatchSize"/> calls, or when its oldest call has
/// waited <see cref="BatchWaitTimeout"/>. While fewer than <see cref="MaxConcurrentBatches"/> batches run,
/// the ready lane whose oldest call arrived first gives the next batch (up to <see cref="MaxBatchSize"/>
/// calls from its head); otherwise calls keep queueing and the next batch starts when a running one ends.
/// One timer per queue, re-armed for the earliest deadline, flushes partial batches.</para>
/// <para><b>Context.</b> The handler runs on the thread pool, not on a caller's flow, with a
/// <see cref="ServeRequestContext"/> of its own: a new request id, the callers' application, the batch's
/// multiplexed model id, and the route when every caller came in on the same one (else empty).</para>
/// <para><b>Cancellation.</b> A call cancelled while it waits leaves the queue and never reaches a batch; one
/// cancelled while its batch runs gets an <see cref="OperationCanceledException"/> at once while the batch goes
/// on for the others. The token the handler receives is cancelled only when every caller of the batch has
/// cancelled (or the queue is disposed).</para>
/// <para><b>Errors.</b> If the handler throws, every caller of the batch still waiting gets the exception; if it
/// returns a list of another length (or null), every one gets an <see cref="InvalidOperationException"/>
/// saying so. After <see cref="DisposeAsync"/> (the replica stopping) waiting and new calls fail with
/// UNAVAILABLE: they never ran.</para>
/// <para>Nothing blocks a thread. Each call allocates one small node (the result's <see cref="IValueTaskSource{TResult}"/>);
/// each batch an array of its items and a cancellation source.</para>
/// </remarks>
/// <typeparam name="TIn">One call's item.</typeparam>
/// <typeparam name="TOut">One call's result.</typeparam>
public sealed class BatchQueue<TIn, TOut> : IBatchQueue
{
    private const int Pending = -1;
    private const int Queued = 0;
    private const int Running = 1;
    private const int Done = 2;

    private readonly object _lock = new();
    private readonly Func<IReadOnlyList<TIn>, CancellationToken, ValueTask<IReadOnlyList<TOut>>> _handler;
    private readonly TimeProvider _time;
    private readonly long _timeoutTimestamps;
    private readonly Lane _defaultLane = new("");
    private readonly List<Batch> _running = [];
    private Dictionary<string, Lane>? _lanes;
    private int _queued;
    private bool _disposed;
    private ITimer? _timer;
    private long _timerDue = long.MaxValue;

    /// <summary>Creates a queue.</summary>
    /// <param name="methodName">The batched method's name, for messages.</param>
    /// <param name="maxBatchSize">Most items in one batch; at least 1.</param>
    /// <param name="batchWaitTimeout">How long a batch that is not full waits for more items, from the arrival of
    /// its oldest item; zero or more.</param>
    /// <param name="maxConcurrentBatches">Batches that run at once at most; at least 1.</param>
    /// <param name="handler">Runs one batch: returns one result per item, in order.</param>
    /// <param name="timeProvider">The clock and timers (tests pass a manual one); <see cref="TimeProvider.System"/> by default.</param>
    public BatchQueue(
        string methodName,
        int maxBatchSize,
        TimeSpan batchWaitTimeout,
        int maxConcurrentBatches,
        Func<IReadOnlyList<TIn>, CancellationToken, ValueTask<IReadOnlyList<TOut>>> handler,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(methodName);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentBatches, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchWaitTimeout, TimeSpan.Zero);
        MethodName = methodName;
        MaxBatchSize = maxBatchSize;
        BatchWaitTimeout = batchWaitTimeout;
        MaxConcurrentBatches = maxConcurrentBatches;
        _handler = handler;
        _time = timeProvider ?? TimeProvider.System;
        var timestamps = batchWaitTimeout.TotalSeconds * _time.TimestampFrequency;
        _timeoutTimestamps = timestamps >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)Math.Ceiling(timestamps);
    }

    /// <inheritdoc />
    public string MethodName { get; }

    /// <inheritdoc />
    public int MaxBatchSize { get; }

    /// <inheritdoc />
    public TimeSpan BatchWaitTimeout { get; }

    /// <inheritdoc />
    public int MaxConcurrentBatches { get; }

    /// <inheritdoc />
    public int QueuedCount
    {
        get
        {
            lock (_lock)
            {
                return _queued;
            }
        }
    }

    /// <inheritdoc />
    public int RunningBatchCount
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>
    /// Queues one item and returns its result once its batch ran. The multiplexed model id of the current
    /// <see cref="ServeRequestContext"/> decides which batches the item may join.
    /// </summary>
    /// <param name="item">The item.</param>
    /// <param name="cancellationToken">Stops waiting: a queued item leaves the queue; an item whose batch runs
    /// gets an <see cref="OperationCanceledException"/> while the batch goes on for the others.</param>
    public ValueTask<TOut> SubmitAsync(TIn item, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TOut>(cancellationToken);
        }
        var node = new Node(this, item, ServeRequestContext.Current, cancellationToken);
        if (cancellationToken.CanBeCanceled)
        {
            node.Registration = cancellationToken.UnsafeRegister(static state => ((Node)state!).OnCanceled(), node);
        }

        Batch? batch = null;
        var refused = false;
        lock (_lock)
        {
            if (node.State != Pending)
            {
                // Cancelled while registering: OnCanceled completed it.
            }
            else if (_disposed)
            {
                node.State = Done;
                refused = true;
            }
            else
            {
                var now = _time.GetTimestamp();
                node.Arrival = now;
                node.State = Queued;
                LaneFor(node.Context?.MultiplexedModelId ?? "").Append(node);
                _queued++;
                batch = TakeBatchLocked(now);
                if (batch is null)
                {
                    ArmTimerLocked(now);
                }
            }
        }
        if (refused)
        {
            node.Registration.Unregister();
            node.Fail(Stopped());
        }
        if (batch is not null)
        {
            Start(batch);
            // Rare: another lane may be ready too (a slot freed while this call queued).
            Pump();
        }
        return node.AsValueTask();
    }

    /// <summary>
    /// Stops the queue (when the replica stops): calls still waiting, and calls submitted from now on, fail with
    /// UNAVAILABLE; running batches get their token cancelled. Does not wait for running batches.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        List<Node>? waiting = null;
        Batch[] running;
        ITimer? timer;
        lock (_lock)
        {
            if (_disposed)
            {
                return default;
            }
            _disposed = true;
            foreach (var lane in Lanes())
            {
                while (lane.Head is { } node)
                {
                    lane.Remove(node);
                    node.State = Done;
                    (waiting ??= []).Add(node);
                }
            }
            _lanes = null;
            _queued = 0;
            running = [.. _running];
            timer = _timer;
            _timer = null;
        }
        timer?.Dispose();
        if (waiting is not null)
        {
            var error = Stopped();
            foreach (var node in waiting)
            {
                node.Registration.Unregister();
                node.Fail(error);
            }
        }
        foreach (var batch in running)
        {
            batch.CancelAll();
        }
        return default;
    }

    private RpcException Stopped()
        => new(new Status(StatusCode.Unavailable, $"The replica stopped before batched method '{MethodName}' ran this call; it was not run, so it can be retried."));

    private Lane LaneFor(string modelId)
    {
        if (modelId.Length == 0)
        {
            return _defaultLane;
        }
        _lanes ??= new Dictionary<string, Lane>(StringComparer.Ordinal);
        if (!_lanes.TryGetValue(modelId, out var lane))
        {
            _lanes[modelId] = lane = new Lane(modelId);
        }
        return lane;
    }

    private IEnumerable<Lane> Lanes()
    {
        yield return _defaultLane;
        if (_lanes is not null)
        {
            foreach (var lane in _lanes.Values)
            {
                yield return lane;
            }
        }
    }

    /// <summary>The next batch to run now, taken out of the queue; null when no slot is free or no lane is ready.</summary>
    private Batch? TakeBatchLocked(long now)
    {
        if (_running.Count >= MaxConcurrentBatches || _queued == 0)
        {
            return null;
        }
        var best = Ready(_defaultLane, null, now);
        if (_lanes is not null)
        {
            foreach (var lane in _lanes.Values)
            {
                best = Ready(lane, best, now);
            }
        }
        if (best is null)
        {
            return null;
        }

        var count = Math.Min(best.Count, MaxBatchSize);
        var batch = new Batch(this, best.ModelId, count);
        for (var i = 0; i < count; i++)
        {
            var node = best.Head!;
            best.Remove(node);
            node.State = Running;
            node.Batch = batch;
            batch.Add(i, node);
        }
        _queued -= count;
        if (best.Count == 0 && !ReferenceEquals(best, _defaultLane))
        {
            _lanes!.Remove(best.ModelId);
        }
        _running.Add(batch);
        return batch;
    }

    /// <summary>The lane to take from: <paramref name="lane"/> when it is ready and its oldest call is older than <paramref name="best"/>'s.</summary>
    private Lane? Ready(Lane lane, Lane? best, long now)
    {
        if (lane.Head is not { } head)
        {
            return best;
        }
        var ready = lane.Count >= MaxBatchSize || now - head.Arrival >= _timeoutTimestamps;
        return ready && (best is null || head.Arrival < best.Head!.Arrival) ? lane : best;
    }

    /// <summary>Arms the queue's one timer for the earliest deadline of a partial batch, when a batch could start then.</summary>
    private void ArmTimerLocked(long now)
    {
        if (_disposed || _queued == 0 || _running.Count >= MaxConcurrentBatches)
        {
            // Nothing to flush, or a running batch's end will start the next one.
            return;
        }
        var earliest = _defaultLane.Head is { } first ? first.Arrival + _timeoutTimestamps : long.MaxValue;
        if (_lanes is not null)
        {
            foreach (var lane in _lanes.Values)
            {
                if (lane.Head is { } head)
                {
                    earliest = Math.Min(earliest, head.Arrival + _timeoutTimestamps);
                }
            }
        }
        if (earliest == long.MaxValue || earliest >= _timerDue)
        {
            // Armed already for that time or earlier; an early firing re-arms.
            return;
        }
        _timerDue = earliest;
        var due = _time.GetElapsedTime(now, earliest);
        // Long waits fire early and re-arm: a timer takes at most ~49 days.
        due = due <= TimeSpan.Zero ? TimeSpan.Zero : due > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : due;
        if (_timer is null)
        {
            // The timer must not capture the flow of the call that happened to create it (its request context).
            var restore = !ExecutionContext.IsFlowSuppressed();
            if (restore)
            {
                ExecutionContext.SuppressFlow();
            }
            try
            {
                _timer = _time.CreateTimer(static state => ((BatchQueue<TIn, TOut>)state!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);
            }
            finally
            {
                if (restore)
                {
                    ExecutionContext.RestoreFlow();
                }
            }
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            _timerDue = long.MaxValue;
        }
        Pump();
    }

    /// <summary>Starts every batch that may start now, then arms the timer for the next partial one.</summary>
    private void Pump()
    {
        while (true)
        {
            Batch? batch;
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                batch = _disposed ? null : TakeBatchLocked(now);
                if (batch is null)
                {
                    ArmTimerLocked(now);
                    return;
                }
            }
            Start(batch);
        }
    }

    /// <summary>Runs the batch on the thread pool, off the flow (and request context) of whoever started it.</summary>
    private static void Start(Batch batch) => ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);

    private async Task RunAsync(Batch batch)
    {
        ServeRequestContext.SetCurrent(batch.CreateContext());
        IReadOnlyList<TOut>? results = null;
        Exception? error = null;
        try
        {
            results = await _handler(batch.Items, batch.Token).ConfigureAwait(false);
            if (results is null)
            {
                error = new InvalidOperationException($"Batched method '{MethodName}' returned null instead of a list of {batch.Items.Length} result(s).");
            }
            else if (results.Count != batch.Items.Length)
            {
                // Ray Serve's message.
                error = new InvalidOperationException(
                    $"Batched method '{MethodName}' doesn't preserve batch size. The input list has length {batch.Items.Length} but the returned list has length {results.Count}.");
            }
        }
        catch (Exception ex)
        {
            error = ex;
        }

        for (var i = 0; i < batch.Nodes.Length; i++)
        {
            var node = batch.Nodes[i];
            if (error is not null)
            {
                node.TryComplete(default!, error);
                continue;
            }
            TOut value;
            try
            {
                value = results![i];
            }
            catch (Exception ex)
            {
                node.TryComplete(default!, ex);
                continue;
            }
            node.TryComplete(value, null);
        }

        lock (_lock)
        {
            _running.Remove(batch);
        }
        Pump();
    }

    /// <summary>A caller's cancellation: out of the queue if it still waits, else out of its running batch.</summary>
    private void Cancel(Node node)
    {
        var wasWaiting = false;
        lock (_lock)
        {
            if (node.State is Pending or Queued)
            {
                if (node.State == Queued)
                {
                    var lane = node.Lane!;
                    lane.Remove(node);
                    _queued--;
                    if (lane.Count == 0 && !ReferenceEquals(lane, _defaultLane))
                    {
                        _lanes?.Remove(lane.ModelId);
                    }
                }
                node.State = Done;
                wasWaiting = true;
            }
        }
        if (wasWaiting)
        {
            node.Fail(new OperationCanceledException(node.Token));
        }
        else if (Interlocked.CompareExchange(ref node.State, Done, Running) == Running)
        {
            node.Fail(new OperationCanceledException(node.Token));
            node.Batch!.CallerCancelled();
        }
    }

    /// <summary>The calls of one model id waiting for a batch, oldest first (an intrusive doubly linked list).</summary>
    private sealed class Lane(string modelId)
    {
        public string ModelId { get; } = modelId;

        public Node? Head { get; private set; }

        private Node? _tail;

        public int Count { get; private set; }

        public void Append(Node node)
        {
            node.Lane = this;
            node.Previous = _tail;
            node.Next = null;
            if (_tail is null)
            {
                Head = node;
            }
            else
            {
                _tail.Next = node;
            }
            _tail = node;
            Count++;
        }

        public void Remove(Node node)
        {
            if (node.Previous is null)
            {
                Head = node.Next;
            }
            else
            {
                node.Previous.Next = node.Next;
            }
            if (node.Next is null)
            {
                _tail = node.Previous;
            }
            else
            {
                node.Next.Previous = node.Previous;
            }
            node.Previous = node.Next = null;
            node.Lane = null;
            Count--;
        }
    }

    /// <summary>One call: its item, its place in a lane, and the result its caller awaits.</summary>
    private sealed class Node(BatchQueue<TIn, TOut> owner, TIn item, ServeRequestContext? context, CancellationToken token) : IValueTaskSource<TOut>
    {
        private ManualResetValueTaskSourceCore<TOut> _core = new() { RunContinuationsAsynchronously = true };

        /// <summary>Pending, Queued, Running or Done; Queued and Pending change under the queue's lock only.</summary>
        public int State = Pending;

        public TIn Item { get; } = item;

        public ServeRequestContext? Context { get; } = context;

        public CancellationToken Token { get; } = token;

        public CancellationTokenRegistration Registration { get; set; }

        public long Arrival { get; set; }

        public Lane? Lane { get; set; }

        public Node? Previous { get; set; }

        public Node? Next { get; set; }

        public Batch? Batch { get; set; }

        public ValueTask<TOut> AsValueTask() => new(this, _core.Version);

        public void OnCanceled() => owner.Cancel(this);

        /// <summary>Completes a running call, unless its caller cancelled first.</summary>
        public void TryComplete(TOut value, Exception? error)
        {
            if (Interlocked.CompareExchange(ref State, Done, Running) != Running)
            {
                return;
            }
            Registration.Unregister();
            if (error is null)
            {
                _core.SetResult(value);
            }
            else
            {
                _core.SetException(error);
            }
        }

        /// <summary>Fails a call whose state this thread already moved to Done.</summary>
        public void Fail(Exception error) => _core.SetException(error);

        public TOut GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>One batch: its calls, the items handed to the handler, and the token the handler receives.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
        Justification = "Without timers or wait handles a cancellation source holds nothing to release, and a caller's cancellation may still be cancelling it when the batch ends.")]
    private sealed class Batch(BatchQueue<TIn, TOut> owner, string modelId, int count) : IThreadPoolWorkItem
    {
        private readonly CancellationTokenSource _cancellation = new();
        private int _live = count;

        public Node[] Nodes { get; } = new Node[count];

        public TIn[] Items { get; } = new TIn[count];

        public CancellationToken Token => _cancellation.Token;

        public void Add(int index, Node node)
        {
            Nodes[index] = node;
            Items[index] = node.Item;
        }

        public void Execute() => _ = owner.RunAsync(this);

        /// <summary>One caller stopped waiting; the handler's token is cancelled when the last one does.</summary>
        public void CallerCancelled()
        {
            if (Interlocked.Decrement(ref _live) == 0)
            {
                _cancellation.Cancel();
            }
        }

        public void CancelAll() => _cancellation.Cancel();

        /// <summary>The batch's own request context: a new request id, the callers' application, the batch's model id, their common route.</summary>
        public ServeRequestContext CreateContext()
        {
            string? application = null, route = null;
            foreach (var node in Nodes)
            {
                if (node.Context is not { } context)
                {
                    continue;
                }
                application ??= context.ApplicationName;
                route = route is null || string.Equals(route, context.Route, StringComparison.Ordinal) ? context.Route : "";
            }
            return new ServeRequestContext(Guid.NewGuid().ToString(), application ?? "", modelId, route ?? "");
        }
    }
}
