using Serve.Replicas;

namespace Serve.Routing;

/// <summary>
/// Chooses a replica for each request of one deployment: power of two choices on the replicas'
/// ongoing counts, taking a slot under <c>max_ongoing_requests</c>. When every replica is full the
/// request waits in a FIFO queue bounded by <c>max_queued_requests</c>, and a released slot is
/// handed straight to the oldest waiter.
/// </summary>
internal sealed class ReplicaRouter
{
    private readonly object _queueLock = new();
    private readonly Queue<Waiter> _waiters = new();
    private Replica[] _replicas = [];
    private int _queued;
    private int _maxQueuedRequests;

    public ReplicaRouter(string deploymentName, int maxQueuedRequests, TimeSpan? multiplexFallbackTimeout = null)
    {
        DeploymentName = deploymentName;
        _maxQueuedRequests = maxQueuedRequests;
        MultiplexFallbackTimeout = multiplexFallbackTimeout ?? DefaultMultiplexFallbackTimeout;
    }

    /// <summary>How long a request waits for a busy replica that holds its model before any replica will do (Ray: about a second).</summary>
    public static readonly TimeSpan DefaultMultiplexFallbackTimeout = TimeSpan.FromSeconds(1);

    public TimeSpan MultiplexFallbackTimeout { get; }

    public string DeploymentName { get; }

    /// <summary>
    /// -1 means unbounded. The controller may change it at any time: a lower limit refuses new
    /// waiters until the queue is under it; requests already waiting keep their place.
    /// </summary>
    public int MaxQueuedRequests
    {
        get => Volatile.Read(ref _maxQueuedRequests);
        set => Volatile.Write(ref _maxQueuedRequests, value);
    }

    /// <summary>
    /// Set for an autoscaled deployment: with no replica, a request waits in the queue (within its own deadline and
    /// <c>max_queued_requests</c>) instead of failing UNAVAILABLE, and this is called to wake the autoscaler.
    /// </summary>
    public Action? HoldWhenEmpty
    {
        get => Volatile.Read(ref _holdWhenEmpty);
        set
        {
            Volatile.Write(ref _holdWhenEmpty, value);
            if (value is null && Volatile.Read(ref _replicas).Length == 0)
            {
                // Requests held for a replica that no autoscaler will start any more fail now.
                FailWaiters();
            }
        }
    }

    private Action? _holdWhenEmpty;

    // Set once the deployment stops; read under the queue lock.
    private bool _closed;

    /// <summary>
    /// The deployment stops: its replicas (stopping now) take no new request, so requests waiting for a slot, and any
    /// that would wait from now on, fail UNAVAILABLE instead of waiting for a replica that will never come.
    /// </summary>
    public void Close()
    {
        lock (_queueLock)
        {
            _closed = true;
        }
        Volatile.Write(ref _holdWhenEmpty, null);
        FailWaiters();
    }

    /// <summary>Requests waiting for a slot now.</summary>
    public int Queued => Volatile.Read(ref _queued);

    public IReadOnlyList<Replica> Replicas => Volatile.Read(ref _replicas);

    /// <summary>
    /// Replaces the replica set (the controller calls it when replicas start or stop). Replicas left
    /// out take no new request from this router; requests running on them are not affected.
    /// </summary>
    public void SetReplicas(IEnumerable<Replica> replicas)
    {
        Volatile.Write(ref _replicas, replicas.Where(r => !r.IsStopping).ToArray());
        // New capacity may serve queued requests at once.
        DrainQueue();
    }

    /// <summary>
    /// Hands free slots to waiting requests; the controller calls it after raising the replicas'
    /// <c>max_ongoing_requests</c>, which frees slots without a request finishing.
    /// </summary>
    public void Refresh() => DrainQueue();

    /// <summary>
    /// Takes a slot for a request of multiplexed model <paramref name="modelId"/>: a replica that holds
    /// the model if one is free; when none holds it, one with the fewest models; when the holders are
    /// busy, waits up to <see cref="MultiplexFallbackTimeout"/> for one of them, then takes any.
    /// Without a model id (or multiplexing) this is <see cref="AcquireAsync(CancellationToken)"/>.
    /// </summary>
    public ValueTask<ReplicaLease> AcquireAsync(string? modelId, CancellationToken cancellationToken)
    {
        var replicas = Volatile.Read(ref _replicas);
        if (string.IsNullOrEmpty(modelId) || replicas.Length == 0 || replicas[0].Models is null)
        {
            return AcquireAsync(cancellationToken);
        }
        var anyHolder = false;
        var chosen = TryAcquireHolder(replicas, modelId, ref anyHolder);
        if (chosen is not null)
        {
            return new ValueTask<ReplicaLease>(new ReplicaLease(this, chosen));
        }
        if (!anyHolder)
        {
            chosen = TryAcquireFewestModels(replicas);
            return chosen is not null ? new ValueTask<ReplicaLease>(new ReplicaLease(this, chosen)) : AcquireAsync(cancellationToken);
        }
        return WaitForHolderAsync(modelId, cancellationToken);
    }

    private static Replica? TryAcquireHolder(Replica[] replicas, string modelId, ref bool anyHolder)
    {
        Replica? best = null;
        foreach (var replica in replicas)
        {
            if (replica.Models!.Contains(modelId))
            {
                anyHolder = true;
                if (replica.HasCapacity && (best is null || replica.Ongoing < best.Ongoing))
                {
                    best = replica;
                }
            }
        }
        if (best is not null && best.TryAcquire())
        {
            return best;
        }
        // The least loaded holder filled up meanwhile: any holder with room will do.
        foreach (var replica in replicas)
        {
            if (replica.Models!.Contains(modelId) && replica.TryAcquire())
            {
                return replica;
            }
        }
        return null;
    }

    private static Replica? TryAcquireFewestModels(Replica[] replicas)
    {
        // Few replicas per deployment: a sort per miss is cheaper than keeping an index current.
        foreach (var replica in replicas.OrderBy(r => r.Models!.Count).ThenBy(r => r.Ongoing))
        {
            if (replica.TryAcquire())
            {
                return replica;
            }
        }
        return null;
    }

    private async ValueTask<ReplicaLease> WaitForHolderAsync(string modelId, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + MultiplexFallbackTimeout;
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken).ConfigureAwait(false);
            var anyHolder = false;
            var chosen = TryAcquireHolder(Volatile.Read(ref _replicas), modelId, ref anyHolder);
            if (chosen is not null)
            {
                return new ReplicaLease(this, chosen);
            }
            if (!anyHolder)
            {
                break;
            }
        }
        return await AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes a slot on a replica, waiting in the queue when all are busy. The returned lease must be
    /// disposed when the request finishes.
    /// </summary>
    public ValueTask<ReplicaLease> AcquireAsync(CancellationToken cancellationToken)
    {
        var replicas = Volatile.Read(ref _replicas);
        if (replicas.Length == 0 && HoldWhenEmpty is null)
        {
            throw new DeploymentUnavailableException(DeploymentName);
        }
        // Waiters go first: a request that arrives while others queue must not overtake them.
        if (Volatile.Read(ref _queued) == 0)
        {
            var chosen = TryAcquireAny(replicas);
            if (chosen is not null)
            {
                return new ValueTask<ReplicaLease>(new ReplicaLease(this, chosen));
            }
        }
        return EnqueueAsync(cancellationToken);
    }

    private static Replica? TryAcquireAny(Replica[] replicas)
    {
        if (replicas.Length == 0)
        {
            return null;
        }
        if (replicas.Length == 1)
        {
            return replicas[0].TryAcquire() ? replicas[0] : null;
        }
        // Power of two choices: two distinct random replicas, the less loaded first.
        var a = Random.Shared.Next(replicas.Length);
        var b = Random.Shared.Next(replicas.Length - 1);
        if (b >= a)
        {
            b++;
        }
        var first = replicas[a];
        var second = replicas[b];
        if (second.Ongoing < first.Ongoing)
        {
            (first, second) = (second, first);
        }
        if (first.TryAcquire())
        {
            return first;
        }
        if (second.TryAcquire())
        {
            return second;
        }
        // Both sampled replicas were full: pick uniformly among the replicas with room, so that near saturation
        // none takes the overflow by its place in the list (a scan from the first or from a sampled one would).
        var withRoom = 0;
        foreach (var replica in replicas)
        {
            if (replica.HasCapacity)
            {
                withRoom++;
            }
        }
        if (withRoom > 0)
        {
            var pick = Random.Shared.Next(withRoom);
            foreach (var replica in replicas)
            {
                if (replica.HasCapacity && pick-- == 0)
                {
                    if (replica.TryAcquire())
                    {
                        return replica;
                    }
                    break;
                }
            }
        }
        // Other requests took the slots counted above meanwhile: any slot left will do before queueing.
        foreach (var replica in replicas)
        {
            if (replica.TryAcquire())
            {
                return replica;
            }
        }
        return null;
    }

    private async ValueTask<ReplicaLease> EnqueueAsync(CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_queueLock)
        {
            if (_closed)
            {
                throw new DeploymentUnavailableException(DeploymentName);
            }
            // Re-check under the lock: a slot may have been freed since the fast path.
            if (_waiters.Count == 0)
            {
                var replicas = Volatile.Read(ref _replicas);
                if (replicas.Length == 0 && HoldWhenEmpty is null)
                {
                    throw new DeploymentUnavailableException(DeploymentName);
                }
                var chosen = TryAcquireAny(replicas);
                if (chosen is not null)
                {
                    return new ReplicaLease(this, chosen);
                }
            }
            var maxQueued = MaxQueuedRequests;
            if (maxQueued >= 0 && _queued >= maxQueued)
            {
                throw new BackPressureException(DeploymentName, _queued, maxQueued);
            }
            waiter = new Waiter();
            _waiters.Enqueue(waiter);
            _queued++;
        }
        if (Volatile.Read(ref _replicas).Length == 0)
        {
            // Scaled to zero: this request is what the autoscaler must see to start a replica.
            HoldWhenEmpty?.Invoke();
        }

        await using (cancellationToken.Register(static state => ((Waiter)state!).Completion.TrySetCanceled(), waiter).ConfigureAwait(false))
        {
            try
            {
                var replica = await waiter.Completion.Task.ConfigureAwait(false);
                return new ReplicaLease(this, replica);
            }
            catch (OperationCanceledException)
            {
                lock (_queueLock)
                {
                    // The waiter stays in the queue marked done; DrainQueue skips it. Count it out now.
                    CountOut(waiter);
                }
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    /// <summary>Called when a lease ends: hand the slot to the oldest waiter, else free it.</summary>
    internal void Release(Replica replica)
    {
        if (Volatile.Read(ref _queued) > 0)
        {
            if (replica.IsStopping)
            {
                // A draining replica's slot is not passed on: the waiter gets one on a replica that stays.
                replica.Release();
                DrainQueue();
                return;
            }
            lock (_queueLock)
            {
                while (_waiters.TryDequeue(out var waiter))
                {
                    CountOut(waiter);
                    // The slot passes to the waiter without being released.
                    if (waiter.Completion.TrySetResult(replica))
                    {
                        return;
                    }
                }
            }
        }
        replica.Release();
    }

    private void DrainQueue()
    {
        if (Volatile.Read(ref _queued) == 0)
        {
            return;
        }
        lock (_queueLock)
        {
            var replicas = Volatile.Read(ref _replicas);
            while (_waiters.TryPeek(out var waiter))
            {
                if (waiter.Completion.Task.IsCompleted)
                {
                    _waiters.Dequeue();
                    continue;
                }
                var chosen = TryAcquireAny(replicas);
                if (chosen is null)
                {
                    return;
                }
                _waiters.Dequeue();
                CountOut(waiter);
                if (!waiter.Completion.TrySetResult(chosen))
                {
                    chosen.Release();
                }
            }
        }
    }

    /// <summary>Takes a waiter out of the queued count, once; the caller holds the queue lock.</summary>
    private void CountOut(Waiter waiter)
    {
        if (!waiter.Counted)
        {
            waiter.Counted = true;
            _queued--;
        }
    }

    private void FailWaiters()
    {
        if (Volatile.Read(ref _queued) == 0)
        {
            return;
        }
        lock (_queueLock)
        {
            while (_waiters.TryDequeue(out var waiter))
            {
                CountOut(waiter);
                waiter.Completion.TrySetException(new DeploymentUnavailableException(DeploymentName));
            }
        }
    }

    private sealed class Waiter
    {
        public TaskCompletionSource<Replica> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>True once the waiter no longer counts toward <c>_queued</c>.</summary>
        public bool Counted { get; set; }
    }
}

/// <summary>A slot on one replica, held while a request runs there.</summary>
internal readonly struct ReplicaLease : IDisposable
{
    private readonly ReplicaRouter _router;

    public ReplicaLease(ReplicaRouter router, Replica replica)
    {
        _router = router;
        Replica = replica;
    }

    public Replica Replica { get; }

    public void Dispose() => _router.Release(Replica);
}
