namespace Serve.Proxy;

/// <summary>
/// Bytes the proxies hold in memory for many requests at once, bounded by one limit: the HTTP proxy's request bodies
/// (<c>http_options.request_body_memory_limit</c>), and the messages of streams whose clients read slower than
/// they are produced (<see cref="StreamWriteBehind"/>). A per-request limit bounds one request; this bounds what many
/// clients cost together, which would otherwise be that limit times the number of clients.
/// </summary>
/// <remarks>
/// <see cref="AcquireAsync"/> waits in arrival order, for callers that hold nothing yet (a body of declared length,
/// whose bytes wait in the client's TCP buffers meanwhile). <see cref="TryAcquire"/> never waits, for callers that
/// already hold part of the budget: one that held some and waited for more could wait forever on others doing the same.
/// </remarks>
internal sealed class MemoryBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _available;

    /// <param name="limit">The bytes that may be held at once.</param>
    public MemoryBudget(long limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _available = limit;
    }

    /// <summary>The bytes that may be held at once.</summary>
    public long Limit { get; }

    /// <summary>The bytes not reserved now.</summary>
    public long Available
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>Reserves <paramref name="bytes"/> if they are free now and nobody waits before this caller.</summary>
    public bool TryAcquire(long bytes)
    {
        lock (_lock)
        {
            if (_waiters.Count == 0 && bytes <= _available)
            {
                _available -= bytes;
                return true;
            }
            return false;
        }
    }

    /// <summary>Reserves <paramref name="bytes"/> (at most <see cref="Limit"/>), waiting in arrival order until they are free.</summary>
    public ValueTask AcquireAsync(long bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Limit);
        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && bytes <= _available)
            {
                _available -= bytes;
                return ValueTask.CompletedTask;
            }
            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }
        return WaitAsync(waiter, cancellationToken);
    }

    private async ValueTask WaitAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(static state => ((Waiter)state!).Granted.TrySetCanceled(), waiter).ConfigureAwait(false))
        {
            try
            {
                await waiter.Granted.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A cancelled waiter never holds bytes: a grant completes the task first, and then it is not cancelled.
                lock (_lock)
                {
                    if (waiter.Node!.List is not null)
                    {
                        _waiters.Remove(waiter.Node);
                    }
                    // Whoever queued behind it may fit now.
                    GrantLocked();
                }
                throw new OperationCanceledException(cancellationToken);
            }
        }
    }

    /// <summary>Gives back <paramref name="bytes"/> and hands them to waiting callers, oldest first.</summary>
    public void Release(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }
        lock (_lock)
        {
            _available += bytes;
            GrantLocked();
        }
    }

    private void GrantLocked()
    {
        while (_waiters.First is { } first && first.Value.Bytes <= _available)
        {
            _waiters.RemoveFirst();
            if (first.Value.Granted.TrySetResult())
            {
                _available -= first.Value.Bytes;
            }
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
