using System.Buffers;
using System.IO.Pipelines;
using Serve.Proxy;

namespace Serve.Runtime.Tests.Proxy;

/// <summary>
/// A stream's messages written for a client that lags, over a real <see cref="Pipe"/> whose writer pauses past 1 KB
/// unread, as Kestrel's response pipe does when the client's window is full.
/// </summary>
public sealed class StreamWriteBehindTests
{
    private static readonly TimeSpan s_limit = TimeSpan.FromSeconds(10);

    private static Pipe SlowClient() => new(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false));

    private static async ValueTask WriteAsync(StreamWriteBehind stream, byte fill, int length)
    {
        var destination = stream.BeginMessage();
        destination.GetSpan(length)[..length].Fill(fill);
        destination.Advance(length);
        await stream.EndMessageAsync();
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader, int length)
    {
        var received = new List<byte>();
        while (received.Count < length)
        {
            var result = await reader.ReadAsync().AsTask().WaitAsync(s_limit);
            received.AddRange(result.Buffer.ToArray());
            reader.AdvanceTo(result.Buffer.End);
        }
        return [.. received];
    }

    [Fact]
    public async Task A_client_that_keeps_up_gets_each_message_as_it_is_written()
    {
        var pipe = SlowClient();
        var stream = new StreamWriteBehind(pipe.Writer, new MemoryBudget(1 << 20), CancellationToken.None);

        for (var i = 0; i < 5; i++)
        {
            var writing = WriteAsync(stream, (byte)i, 100);
            Assert.True(writing.IsCompletedSuccessfully);
            Assert.Equal(Enumerable.Repeat((byte)i, 100), await ReadAllAsync(pipe.Reader, 100));
        }
        Assert.Equal(0, stream.Buffered);
        Assert.True(stream.DrainAsync().IsCompleted);
    }

    [Fact]
    public async Task A_lagging_client_does_not_hold_the_writer_and_gets_every_message_in_order()
    {
        var pipe = SlowClient();
        var budget = new MemoryBudget(1 << 20);
        var stream = new StreamWriteBehind(pipe.Writer, budget, CancellationToken.None);

        // Nobody reads: the first message fills the pipe past its threshold, the rest are kept.
        for (var i = 0; i < 10; i++)
        {
            var writing = WriteAsync(stream, (byte)i, 2000);
            Assert.True(writing.IsCompleted, $"message {i} waited for the client");
            await writing;
        }
        Assert.Equal(9 * 2000, stream.Buffered);
        Assert.Equal((1 << 20) - 9 * 2000, budget.Available);
        var drained = stream.DrainAsync();
        Assert.False(drained.IsCompleted);

        var received = await ReadAllAsync(pipe.Reader, 10 * 2000);
        await drained.WaitAsync(s_limit);

        Assert.Equal(Enumerable.Range(0, 10).SelectMany(i => Enumerable.Repeat((byte)i, 2000)), received);
        Assert.Equal(0, stream.Buffered);
        Assert.Equal(1 << 20, budget.Available);
        Assert.False(stream.ClientGone);
    }

    [Fact]
    public async Task Past_the_calls_share_the_writer_waits_for_the_client()
    {
        var pipe = SlowClient();
        var stream = new StreamWriteBehind(pipe.Writer, new MemoryBudget(64L << 20), CancellationToken.None);
        const int Message = 1024 * 1024;
        // The first goes to the pipe; four more are the call's share (4 MiB).
        for (var i = 0; i < 5; i++)
        {
            await WriteAsync(stream, (byte)i, Message).AsTask().WaitAsync(s_limit);
        }

        var sixth = WriteAsync(stream, 5, Message).AsTask();
        await Task.Delay(100);
        Assert.False(sixth.IsCompleted);

        var reading = ReadAllAsync(pipe.Reader, 6 * Message);
        await sixth.WaitAsync(s_limit);
        await stream.DrainAsync().WaitAsync(s_limit);
        Assert.Equal(6 * Message, (await reading).Length);
    }

    [Fact]
    public async Task Past_the_proxys_budget_a_call_waits_for_its_own_client()
    {
        var budget = new MemoryBudget(3000);
        var first = SlowClient();
        var second = SlowClient();
        var a = new StreamWriteBehind(first.Writer, budget, CancellationToken.None);
        var b = new StreamWriteBehind(second.Writer, budget, CancellationToken.None);

        await WriteAsync(a, 1, 2000);
        await WriteAsync(a, 2, 2000);
        await WriteAsync(b, 3, 2000);
        // b's next message does not fit what a keeps: b waits, holding what it has, until its client reads.
        var waiting = WriteAsync(b, 4, 2000).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        Assert.Equal(4000, (await ReadAllAsync(second.Reader, 4000)).Length);
        await waiting.WaitAsync(s_limit);
        await b.DrainAsync().WaitAsync(s_limit);
        Assert.Equal(4000, (await ReadAllAsync(first.Reader, 4000)).Length);
        await a.DrainAsync().WaitAsync(s_limit);
        Assert.Equal(3000, budget.Available);
    }

    [Fact]
    public async Task A_client_that_leaves_fails_the_writer_and_frees_what_was_kept()
    {
        var pipe = SlowClient();
        var budget = new MemoryBudget(1 << 20);
        var stream = new StreamWriteBehind(pipe.Writer, budget, CancellationToken.None);
        await WriteAsync(stream, 1, 2000);
        await WriteAsync(stream, 2, 2000);

        // What Kestrel does when the client resets the stream: the reading side completes.
        await pipe.Reader.CompleteAsync();
        await stream.DrainAsync().WaitAsync(s_limit);

        Assert.True(stream.ClientGone);
        Assert.Equal(1 << 20, budget.Available);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await WriteAsync(stream, 3, 10));
    }

    [Fact]
    public async Task Abandoning_drops_what_was_kept_and_says_whether_the_pipe_is_still_flushing()
    {
        var pipe = SlowClient();
        var budget = new MemoryBudget(1 << 20);
        var stream = new StreamWriteBehind(pipe.Writer, budget, CancellationToken.None);
        await WriteAsync(stream, 1, 2000);
        await WriteAsync(stream, 2, 2000);

        Assert.True(stream.Abandon());
        Assert.Equal(1 << 20, budget.Available);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await WriteAsync(stream, 3, 10));

        // The flush it waited for ends when the client reads; nothing more follows.
        Assert.Equal(2000, (await ReadAllAsync(pipe.Reader, 2000)).Length);
        await stream.DrainAsync().WaitAsync(s_limit);
        Assert.False(stream.Abandon());
    }

    [Fact]
    public async Task Stalls_and_catch_ups_in_quick_turns_keep_every_message_in_order_and_one_user_of_the_pipe()
    {
        var pipe = new CheckedPipeWriter();
        // A budget of a few messages: the writer often waits for room, and is woken as the pump hands the pipe back.
        var stream = new StreamWriteBehind(pipe, new MemoryBudget(16), CancellationToken.None);
        using var stop = new CancellationTokenSource();
        // The client: catches up on another thread as soon as a flush waits, so that the pump hands the pipe back while
        // the writer goes on.
        var client = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                pipe.CompletePending();
                await Task.Yield();
            }
        });

        const int Messages = 20_000;
        for (var i = 0; i < Messages; i++)
        {
            pipe.StallNextFlush = i % 3 == 0;
            var destination = stream.BeginMessage();
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(destination.GetSpan(4), i);
            destination.Advance(4);
            await stream.EndMessageAsync();
        }
        await stream.DrainAsync().WaitAsync(s_limit);
        await stop.CancelAsync();
        await client;

        Assert.Empty(pipe.Violations);
        var received = pipe.Received;
        Assert.Equal(Messages * 4, received.Length);
        for (var i = 0; i < Messages; i++)
        {
            Assert.Equal(i, System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(received.AsSpan(i * 4)));
        }
    }

    /// <summary>A response pipe whose flushes wait when told to, until another thread completes them; records any use while one waits.</summary>
    private sealed class CheckedPipeWriter : PipeWriter
    {
        private readonly object _lock = new();
        private readonly ArrayBufferWriter<byte> _written = new();
        private TaskCompletionSource<FlushResult>? _pending;

        public volatile bool StallNextFlush;

        public System.Collections.Concurrent.ConcurrentQueue<string> Violations { get; } = new();

        public byte[] Received
        {
            get
            {
                lock (_lock)
                {
                    return _written.WrittenSpan.ToArray();
                }
            }
        }

        public void CompletePending()
        {
            TaskCompletionSource<FlushResult>? pending;
            lock (_lock)
            {
                pending = _pending;
                _pending = null;
            }
            pending?.SetResult(new FlushResult(isCanceled: false, isCompleted: false));
        }

        public override void Advance(int bytes)
        {
            lock (_lock)
            {
                if (_pending is not null)
                {
                    Violations.Enqueue("Advance while a flush waits");
                }
                _written.Advance(bytes);
            }
        }

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            lock (_lock)
            {
                return _written.GetMemory(sizeHint);
            }
        }

        public override Span<byte> GetSpan(int sizeHint = 0)
        {
            lock (_lock)
            {
                return _written.GetSpan(sizeHint);
            }
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            lock (_lock)
            {
                if (_pending is not null)
                {
                    Violations.Enqueue("FlushAsync while another flush waits");
                }
                if (!StallNextFlush)
                {
                    return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
                }
                StallNextFlush = false;
                // Completed on the client's thread, and the pump goes on there: a real race with the writer.
                _pending = new TaskCompletionSource<FlushResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask<FlushResult>(_pending.Task);
            }
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }
}
