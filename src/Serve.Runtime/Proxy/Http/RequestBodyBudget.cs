namespace Serve.Proxy.Http;

/// <summary>
/// The bytes of request bodies the HTTP proxy holds in memory at once, over all requests
/// (<c>http_options.request_body_memory_limit</c>). <c>max_request_body_size</c> bounds one body; this bounds what
/// many clients sending large bodies together cost, which would otherwise be that limit times the number of clients.
/// </summary>
/// <remarks>
/// A body of declared length reserves all of it before it is read, waiting in arrival order while others hold the
/// budget: its bytes wait in the client's TCP buffers meanwhile. A body of unknown length (chunked) reserves as it
/// grows, without waiting: one that holds part of the budget and waited for more could wait forever on others doing
/// the same.
/// </remarks>
internal sealed class RequestBodyBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _available;

    /// <param name="limit">The bytes bodies may hold at once; at least the largest body accepted.</param>
    public RequestBodyBudget(long limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _available = limit;
    }

    /// <summary>The bytes bodies may hold at once.</summary>
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

    /// <summary>Gives back <paramref name="bytes"/> and hands them to waiting bodies, oldest first.</summary>
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
