using System.Buffers;
using System.IO.Pipelines;

namespace Serve.Proxy;

/// <summary>
/// Writes the messages of a streamed response (gRPC server and bidirectional streaming, HTTP event streams) so that a
/// client that reads slowly, or not at all, does not hold its replica. While the client keeps up, each message is
/// written into the response pipe and flushed, as before. Once a flush has to wait for the client (its HTTP/2 window
/// or TCP buffer is full), the method is not made to wait: later messages are kept in memory, up to
/// <see cref="MaxBufferedPerCall"/> bytes for the call and the proxy's <see cref="MemoryBudget"/> for all calls, and
/// sent as the client reads. A method that finishes its stream meanwhile gives its replica slot back at once; the
/// proxy then sends the rest (<see cref="DrainAsync"/>) and ends the call. Only past those limits does the method wait
/// for the client, holding its slot, until Kestrel ends a client that reads too slowly.
/// </summary>
/// <remarks>
/// One writer (the method's stream, one message at a time) and one pump: while the client lags, the pump owns the pipe,
/// and the writer only queues; when the pump has sent everything it gives the pipe back.
/// </remarks>
internal sealed class StreamWriteBehind
{
    /// <summary>The most bytes one call keeps for a lagging client (one larger message is kept alone).</summary>
    public const int MaxBufferedPerCall = 4 * 1024 * 1024;

    /// <summary>The most bytes all calls of a proxy keep for lagging clients.</summary>
    public const long MaxBufferedPerProxy = 64 * 1024 * 1024;

    private readonly PipeWriter _pipe;
    private readonly MemoryBudget _budget;
    private readonly CancellationToken _cancellationToken;
    private readonly object _lock = new();
    private readonly Queue<(byte[] Bytes, int Length)> _queue = new();
    private PooledBufferWriter? _message;
    private Task _pump = Task.CompletedTask;
    private bool _pumping;
    private bool _abandoned;
    private long _buffered;
    private TaskCompletionSource? _progress;

    /// <param name="pipe">The response pipe.</param>
    /// <param name="budget">The bytes all lagging calls of the proxy may keep.</param>
    /// <param name="cancellationToken">The call's token (client gone, deadline).</param>
    public StreamWriteBehind(PipeWriter pipe, MemoryBudget budget, CancellationToken cancellationToken)
    {
        _pipe = pipe;
        _budget = budget;
        _cancellationToken = cancellationToken;
    }

    /// <summary>True once a flush found the client gone (the pipe completed, or Kestrel aborted the stream).</summary>
    public bool ClientGone { get; private set; }

    /// <summary>Bytes kept for the client now (for tests and diagnostics).</summary>
    public long Buffered => Volatile.Read(ref _buffered);

    /// <summary>Where the next message is written: the pipe while the client keeps up, else a buffer of its own.</summary>
    public IBufferWriter<byte> BeginMessage()
    {
        lock (_lock)
        {
            if (!_pumping)
            {
                // Only this writer starts a pump: the pipe stays ours until the message is ended.
                return _pipe;
            }
        }
        return _message = new PooledBufferWriter();
    }

    /// <summary>
    /// Sends the message written since <see cref="BeginMessage"/>: flushed at once while the client keeps up; queued
    /// when it lags, returning at once while the limits allow, else waiting for the client to read.
    /// </summary>
    /// <exception cref="OperationCanceledException">The client is gone (<see cref="ClientGone"/>) or the call was cancelled.</exception>
    public ValueTask EndMessageAsync()
    {
        if (_message is null)
        {
            return FlushAsync();
        }
        var message = _message;
        _message = null;
        return QueueAsync(message);
    }

    private ValueTask FlushAsync()
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _pipe.FlushAsync(_cancellationToken);
        }
        catch (Exception ex) when (ex is IOException)
        {
            return ValueTask.FromException(Gone(ex));
        }
        if (flush.IsCompletedSuccessfully)
        {
            var result = flush.Result;
            return result.IsCompleted || result.IsCanceled ? ValueTask.FromException(Gone(null)) : default;
        }
        // The client lags: the method goes on while this flush waits, and later messages queue behind it.
        lock (_lock)
        {
            _pumping = true;
        }
        _pump = PumpAsync(flush);
        return default;
    }

    private async ValueTask QueueAsync(PooledBufferWriter message)
    {
        var length = message.WrittenCount;
        var handedOver = false;
        try
        {
            while (true)
            {
                TaskCompletionSource progress;
                lock (_lock)
                {
                    if (ClientGone)
                    {
                        throw Gone(null);
                    }
                    if (_abandoned)
                    {
                        throw new OperationCanceledException("The call already ended.", _cancellationToken);
                    }
                    if (!_pumping)
                    {
                        break;
                    }
                    if ((_buffered == 0 || _buffered + length <= MaxBufferedPerCall) && _budget.TryAcquire(Math.Min(length, _budget.Limit)))
                    {
                        _queue.Enqueue((message.Detach(), length));
                        _buffered += length;
                        handedOver = true;
                        return;
                    }
                    // Past the call's share or the proxy's budget: wait for the client to take some.
                    progress = _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                await progress.Task.WaitAsync(_cancellationToken).ConfigureAwait(false);
            }
            // The pump sent everything meanwhile: the pipe is ours again.
            _pipe.Write(message.WrittenSpan);
        }
        finally
        {
            if (!handedOver)
            {
                message.Return();
            }
        }
        await FlushAsync().ConfigureAwait(false);
    }

    private async Task PumpAsync(ValueTask<FlushResult> pending)
    {
        Exception? failure = null;
        try
        {
            var result = await pending.ConfigureAwait(false);
            while (!result.IsCompleted && !result.IsCanceled)
            {
                (byte[] Bytes, int Length) next;
                lock (_lock)
                {
                    if (_abandoned || !_queue.TryDequeue(out next))
                    {
                        // Everything was sent: the pipe goes back to the writer, in the same step that says so, so
                        // that nothing this pump does afterwards can meet a pump the writer started next.
                        _pumping = false;
                        SignalLocked();
                        return;
                    }
                }
                _pipe.Write(next.Bytes.AsSpan(0, next.Length));
                Forget(next);
                result = await _pipe.FlushAsync(_cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Gone, cancelled, or a pipe that failed: either way nothing more reaches this client, and the drain must
            // not fault the call that waits for it.
            failure = ex;
        }
        lock (_lock)
        {
            Gone(failure);
            _pumping = false;
            while (_queue.TryDequeue(out var dropped))
            {
                Forget(dropped);
            }
            SignalLocked();
        }
    }

    /// <summary>Waits until every queued message reached the client's stream (or the client is gone).</summary>
    public Task DrainAsync() => _pump;

    /// <summary>
    /// Stops sending (the call ended early: its deadline passed): queued messages are dropped and the pump stops after the
    /// flush it waits for. Returns true when the pump still waits for the client, which then must not be written to.
    /// </summary>
    public bool Abandon()
    {
        lock (_lock)
        {
            _abandoned = true;
            while (_queue.TryDequeue(out var dropped))
            {
                Forget(dropped);
            }
            SignalLocked();
            return _pumping;
        }
    }

    private void Forget((byte[] Bytes, int Length) message)
    {
        ArrayPool<byte>.Shared.Return(message.Bytes);
        _budget.Release(Math.Min(message.Length, _budget.Limit));
        lock (_lock)
        {
            _buffered -= message.Length;
            SignalLocked();
        }
    }

    private void SignalLocked()
    {
        var progress = _progress;
        _progress = null;
        progress?.TrySetResult();
    }

    private OperationCanceledException Gone(Exception? cause)
    {
        ClientGone = true;
        return new OperationCanceledException("The client went away.", cause, _cancellationToken);
    }

    /// <summary>A message's bytes in an array from the shared pool, grown by doubling; <see cref="Detach"/> or <see cref="Return"/> it.</summary>
    private sealed class PooledBufferWriter : IBufferWriter<byte>
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);

        public int WrittenCount { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, WrittenCount);

        public void Advance(int count) => WrittenCount += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(WrittenCount);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(WrittenCount);

        /// <summary>Hands the array over to the caller.</summary>
        public byte[] Detach()
        {
            var buffer = _buffer;
            _buffer = [];
            return buffer;
        }

        /// <summary>Gives the array back to the pool (unless it was handed over).</summary>
        public void Return()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }

        private byte[] Ensure(int sizeHint)
        {
            var needed = WrittenCount + Math.Max(sizeHint, 1);
            if (needed > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _buffer.Length * 2));
                _buffer.AsSpan(0, WrittenCount).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
            return _buffer;
        }
    }
}
