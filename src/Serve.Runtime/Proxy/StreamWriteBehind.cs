using System.Buffers;
using System.IO.Pipelines;

namespace Serve.Proxy;

/// <summary>
/// Writes the messages of a streamed response (gRPC server and bidirectional streaming, HTTP event streams) so that a
/// client that reads slowly, or not at all, does not hold its replica. While the client keeps up, each message is
/// written into the response pipe and flushed, as before. Once a flush has to wait for the client (its HTTP/2 window
/// or TCP buffer is full), the method is not made to wait: later messages are kept in memory, up to
/// <see cref="MaxBufferedPerCall"/> bytes for the call and the proxy's <see cref="MemoryBudget"/> for all calls, and
/// sent as the client reads, all that waits in one write. A method that finishes its stream meanwhile gives its replica
/// slot back at once; the proxy then sends the rest (<see cref="DrainAsync"/>) and ends the call. Only past those limits
/// does the method wait for the client, holding its slot, until Kestrel ends a client that reads too slowly.
/// </summary>
/// <remarks>
/// One writer (the method's stream, one message at a time) and one pump: while the client lags, the pump owns the pipe,
/// and the writer only appends to the bytes waiting; when the pump has sent everything it gives the pipe back.
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
    private Task _pump = Task.CompletedTask;
    private bool _pumping;
    private bool _abandoned;
    private TaskCompletionSource? _progress;

    // While the client lags: the writer serializes each message into its scratch buffer, then appends it to the bytes
    // waiting; the pump takes all of those at once, and keeps the emptied buffer as the next one.
    private PooledBuffer? _scratch;
    private bool _inScratch;
    private PooledBuffer? _waiting;
    private PooledBuffer? _spare;
    private long _reserved;

    /// <param name="pipe">The response pipe.</param>
    /// <param name="budget">The bytes all lagging calls of the proxy may keep.</param>
    /// <param name="cancellationToken">Ends the flushes: the client leaving (a deadline abandons the stream instead).</param>
    public StreamWriteBehind(PipeWriter pipe, MemoryBudget budget, CancellationToken cancellationToken)
    {
        _pipe = pipe;
        _budget = budget;
        _cancellationToken = cancellationToken;
    }

    /// <summary>True once a flush found the client gone (the pipe completed, or Kestrel aborted the stream).</summary>
    public bool ClientGone { get; private set; }

    /// <summary>Bytes kept for the client now (for tests and diagnostics).</summary>
    public long Buffered
    {
        get
        {
            lock (_lock)
            {
                return _waiting?.WrittenCount ?? 0;
            }
        }
    }

    /// <summary>Where the next message is written: the pipe while the client keeps up, else a buffer of the call's.</summary>
    public IBufferWriter<byte> BeginMessage()
    {
        // Only this writer starts a pump, so a pump that is not running stays so until the message is ended: the pipe
        // is ours. One that just ended is seen when the message is queued (QueueAsync writes it to the pipe then).
        _inScratch = Volatile.Read(ref _pumping);
        if (!_inScratch)
        {
            return _pipe;
        }
        var scratch = _scratch ??= new PooledBuffer();
        scratch.Clear();
        return scratch;
    }

    /// <summary>
    /// Sends the message written since <see cref="BeginMessage"/>: flushed at once while the client keeps up; queued
    /// when it lags, returning at once while the limits allow, else waiting for the client to read.
    /// </summary>
    /// <exception cref="OperationCanceledException">The client is gone (<see cref="ClientGone"/>) or the stream was abandoned.</exception>
    public ValueTask EndMessageAsync() => _inScratch ? QueueAsync(_scratch!) : FlushAsync();

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
        // The client lags: the method goes on while this flush waits, and later messages wait behind it.
        lock (_lock)
        {
            _pumping = true;
        }
        _pump = PumpAsync(flush);
        return default;
    }

    private async ValueTask QueueAsync(PooledBuffer message)
    {
        var length = message.WrittenCount;
        while (true)
        {
            TaskCompletionSource progress;
            lock (_lock)
            {
                if (ClientGone)
                {
                    message.Clear();
                    throw Gone(null);
                }
                if (_abandoned)
                {
                    message.Clear();
                    throw new OperationCanceledException("The call already ended.", _cancellationToken);
                }
                if (!_pumping)
                {
                    break;
                }
                var waiting = _waiting?.WrittenCount ?? 0;
                var share = Math.Min(length, _budget.Limit);
                if ((waiting == 0 || waiting + length <= MaxBufferedPerCall) && _budget.TryAcquire(share))
                {
                    (_waiting ??= _spare ?? new PooledBuffer()).Write(message.WrittenSpan);
                    _spare = null;
                    _reserved += share;
                    message.Clear();
                    return;
                }
                // Past the call's share or the proxy's budget: wait for the client to take some.
                progress = _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            await progress.Task.WaitAsync(_cancellationToken).ConfigureAwait(false);
        }
        // The pump sent everything meanwhile: the pipe is ours again.
        _pipe.Write(message.WrittenSpan);
        message.Clear();
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
                PooledBuffer sending;
                long reserved;
                lock (_lock)
                {
                    if (_abandoned || _waiting is not { WrittenCount: > 0 } waiting)
                    {
                        // Everything was sent: the pipe goes back to the writer, in the same step that says so, so
                        // that nothing this pump does afterwards can meet a pump the writer started next.
                        _pumping = false;
                        SignalLocked();
                        return;
                    }
                    sending = waiting;
                    _waiting = null;
                    reserved = _reserved;
                    _reserved = 0;
                }
                _pipe.Write(sending.WrittenSpan);
                sending.Clear();
                _budget.Release(reserved);
                lock (_lock)
                {
                    _spare ??= sending;
                    SignalLocked();
                }
                result = await _pipe.FlushAsync(_cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Gone, or a pipe that failed: either way nothing more reaches this client, and the drain must not fault
            // the call that waits for it.
            failure = ex;
        }
        lock (_lock)
        {
            Gone(failure);
            _pumping = false;
            DropWaitingLocked();
            SignalLocked();
        }
    }

    /// <summary>
    /// Waits until every kept message reached the client's stream (or the client is gone), then gives the buffers back to
    /// the pool: the caller calls it once, when the method has returned.
    /// </summary>
    public Task DrainAsync() => _pump.IsCompleted ? ReturnBuffers() : DrainThenReturnAsync();

    private async Task DrainThenReturnAsync()
    {
        await _pump.ConfigureAwait(false);
        await ReturnBuffers().ConfigureAwait(false);
    }

    private Task ReturnBuffers()
    {
        lock (_lock)
        {
            // Only once the pump ended: it may still be writing from these.
            if (_pumping)
            {
                return _pump;
            }
            _scratch?.Release();
            _waiting?.Release();
            _spare?.Release();
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops sending (the call ended early: its deadline passed): kept messages are dropped and the pump stops after the
    /// flush it waits for. Returns true when the pump still waits for the client, which then must not be written to.
    /// </summary>
    public bool Abandon()
    {
        lock (_lock)
        {
            _abandoned = true;
            DropWaitingLocked();
            SignalLocked();
            return _pumping;
        }
    }

    private void DropWaitingLocked()
    {
        _waiting?.Clear();
        _budget.Release(_reserved);
        _reserved = 0;
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

    /// <summary>Bytes in an array from the shared pool, grown by doubling; a large one goes back to the pool when cleared.</summary>
    private sealed class PooledBuffer : IBufferWriter<byte>
    {
        private const int InitialSize = 4096;

        /// <summary>Larger than this, a cleared buffer gives its array back rather than keep it for the next message.</summary>
        private const int KeptSize = 256 * 1024;

        private byte[] _buffer = [];

        public int WrittenCount { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, WrittenCount);

        public void Advance(int count) => WrittenCount += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint).AsMemory(WrittenCount);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).AsSpan(WrittenCount);

        public void Write(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Ensure(bytes.Length).AsSpan(WrittenCount));
            WrittenCount += bytes.Length;
        }

        /// <summary>Gives the array back to the pool; the buffer is empty and usable again.</summary>
        public void Release()
        {
            WrittenCount = 0;
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }

        public void Clear()
        {
            WrittenCount = 0;
            if (_buffer.Length > KeptSize)
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
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(needed, _buffer.Length * 2), InitialSize));
                _buffer.AsSpan(0, WrittenCount).CopyTo(larger);
                if (_buffer.Length > 0)
                {
                    ArrayPool<byte>.Shared.Return(_buffer);
                }
                _buffer = larger;
            }
            return _buffer;
        }
    }
}
