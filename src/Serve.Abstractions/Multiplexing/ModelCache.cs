using Grpc.Core;

namespace Serve.Multiplexing;

/// <summary>What the router reads of a replica's multiplexed models.</summary>
public interface IMultiplexedModelSet
{
    /// <summary>Models loaded or loading now.</summary>
    int Count { get; }

    /// <summary>Most models the replica keeps.</summary>
    int Capacity { get; }

    /// <summary>True when <paramref name="modelId"/> is loaded or loading.</summary>
    bool Contains(string modelId);

    /// <summary>The ids held now, most recently used first.</summary>
    IReadOnlyList<string> ModelIds { get; }
}

/// <summary>
/// A replica's multiplexed models: at most <see cref="Capacity"/> of them, least recently used
/// evicted (and disposed) before a new one loads. Concurrent requests for a model that is still
/// loading share one load. Generated <c>GetMultiplexedModelAsync</c> methods call it.
/// </summary>
/// <typeparam name="TModel">The model type the loading method returns.</typeparam>
public sealed class ModelCache<TModel> : IMultiplexedModelSet, IAsyncDisposable
{
    private readonly object _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new();
    private readonly Func<string, CancellationToken, ValueTask<TModel>> _load;

    /// <summary>Creates a cache that loads models with <paramref name="load"/>.</summary>
    public ModelCache(int capacity, Func<string, CancellationToken, ValueTask<TModel>> load)
    {
        if (capacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A replica must keep at least one model.");
        }
        Capacity = capacity;
        _load = load ?? throw new ArgumentNullException(nameof(load));
    }

    /// <inheritdoc />
    public int Capacity { get; }

    /// <inheritdoc />
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Raised after a model loaded, with its id and the load time; feeds metrics and logs.</summary>
    public event Action<string, TimeSpan>? ModelLoaded;

    /// <inheritdoc />
    public bool Contains(string modelId)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(modelId);
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> ModelIds
    {
        get
        {
            lock (_lock)
            {
                return _lru.Select(e => e.ModelId).ToArray();
            }
        }
    }

    /// <summary>Returns the model, loading it (after evicting the least recently used) on a miss.</summary>
    public async ValueTask<TModel> GetAsync(string modelId, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(modelId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                "This request has no multiplexed model id: send metadata 'multiplexed_model_id' (gRPC) or header 'serve_multiplexed_model_id' (HTTP)."));
        }

        Entry entry;
        List<Entry>? evicted = null;
        lock (_lock)
        {
            if (_entries.TryGetValue(modelId, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                entry = node.Value;
            }
            else
            {
                while (_entries.Count >= Capacity && _lru.Last is { } oldest)
                {
                    _lru.RemoveLast();
                    _entries.Remove(oldest.Value.ModelId);
                    (evicted ??= []).Add(oldest.Value);
                }
                entry = new Entry(modelId);
                _entries[modelId] = _lru.AddFirst(entry);
            }
        }

        if (evicted is not null)
        {
            // Unload before loading: models are often as large as the memory they are meant to share.
            foreach (var old in evicted)
            {
                await DisposeModelAsync(old).ConfigureAwait(false);
            }
        }
        if (entry.TryStartLoad())
        {
            _ = LoadAsync(entry);
        }
        try
        {
            return await entry.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed load must not stay cached: the next request tries again.
            lock (_lock)
            {
                if (_entries.TryGetValue(modelId, out var node) && ReferenceEquals(node.Value, entry))
                {
                    _entries.Remove(modelId);
                    _lru.Remove(node);
                }
            }
            throw;
        }
    }

    private async Task LoadAsync(Entry entry)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            // Not the caller's token: other requests may be waiting on the same load.
            var model = await _load(entry.ModelId, CancellationToken.None).ConfigureAwait(false);
            entry.Completion.TrySetResult(model);
            ModelLoaded?.Invoke(entry.ModelId, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex)
        {
            entry.Completion.TrySetException(ex);
        }
    }

    private static async ValueTask DisposeModelAsync(Entry entry)
    {
        TModel model;
        try
        {
            model = await entry.Completion.Task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            return;
        }
        switch (model)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>Disposes every loaded model (when the replica stops).</summary>
    public async ValueTask DisposeAsync()
    {
        Entry[] all;
        lock (_lock)
        {
            all = _lru.ToArray();
            _lru.Clear();
            _entries.Clear();
        }
        foreach (var entry in all)
        {
            await DisposeModelAsync(entry).ConfigureAwait(false);
        }
    }

    private sealed class Entry(string modelId)
    {
        private int _started;

        public string ModelId { get; } = modelId;

        public TaskCompletionSource<TModel> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryStartLoad() => Interlocked.Exchange(ref _started, 1) == 0;
    }
}
